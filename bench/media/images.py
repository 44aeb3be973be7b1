"""What a hostile upload costs the server: peak memory (RSS) and time of
`image_clean` on each input, each in a fresh process, next to what decoding the same
file whole costs (what the code did before it read the size from the header).

    python bench/media/images.py

Needs no database. Prints one line per input.
"""

import io
import os
import subprocess
import sys
import zlib

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def png_bomb(width: int, height: int) -> bytes:
    raw = zlib.compress(b"\x00" * (width * 3 + 1) * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (
        width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


def gif_frames(count: int, side: int) -> bytes:
    frames = [Image.new("P", (side, side), i % 256) for i in range(count)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def phone_photo() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((4000, 3000), 40).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


INPUTS = {
    "png 40 MP (RGB, compressed)": lambda: png_bomb(8000, 5000),
    "gif 1500x1500, 30 frames": lambda: gif_frames(30, 1500),
    "jpeg 12 MP phone photo": phone_photo,
}

CHILD = """
import io, os, resource, sys, time
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "organising.settings")
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageSequence
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
outcome = ""
if sys.argv[2] == "clean":
    from django.core.exceptions import ValidationError
    from organising.messaging.images import image_clean
    try:
        kept = image_clean(SimpleUploadedFile("x", data))
        outcome = "kept, %d KB" % (len(kept.read()) // 1024)
    except ValidationError as error:
        outcome = "refused: " + " ".join(error.messages)
else:
    Image.MAX_IMAGE_PIXELS = None
    with Image.open(io.BytesIO(data)) as image:
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
    outcome = "decoded, %d frame(s)" % len(frames)
elapsed = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("%d %d %.2f %s" % (before, after, elapsed, outcome))
"""


def measure(path: str, mode: str) -> tuple[int, int, float, str]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=ROOT), path, mode],
        capture_output=True,
        text=True,
        check=True,
    )
    before, after, elapsed, outcome = result.stdout.strip().split(" ", 3)
    return int(before), int(after), float(elapsed), outcome


def main() -> None:
    print(
        f"{'input':32} {'size':>8} {'mode':>6} {'+peak RSS':>10} {'time':>7}  outcome"
    )
    for name, make in INPUTS.items():
        data = make()
        path = f"/tmp/bench-media-{os.getpid()}.bin"
        with open(path, "wb") as out:
            out.write(data)
        for mode in ("whole", "clean"):
            before, after, elapsed, outcome = measure(path, mode)
            print(
                f"{name:32} {len(data) // 1024:>6}KB {mode:>6} "
                f"{(after - before) // 1024:>8}MB {elapsed:>6.2f}s  {outcome}"
            )
        os.unlink(path)
    print(
        f"(ru_maxrss of a fresh process, {os.cpu_count()} cores; "
        f"load {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
