"""E-mail printed readable in development.

Django's console backend prints the message as it would be sent: quoted-printable, so
long links break with "=" and accents read "=C3=A9". This one prints the same headers
decoded and each text part as 8-bit text, so links can be copied from the console.
"""

from email.header import decode_header, make_header

from django.core.mail.backends.console import EmailBackend


class ReadableConsoleBackend(EmailBackend):
    def write_message(self, message):
        msg = message.message()
        lines = []
        for name, value in msg.items():
            if name.lower() == "content-transfer-encoding":
                value = "8bit"
            lines.append(f"{name}: {make_header(decode_header(str(value)))}")
        for part in msg.walk():
            if part.get_content_maintype() == "multipart":
                continue
            if part is not msg:
                lines.append(f"\n-- {part.get_content_type()}")
            if part.get_content_maintype() == "text":
                charset = part.get_content_charset() or "utf-8"
                lines.append("\n" + part.get_payload(decode=True).decode(charset))
            else:
                lines.append(f"({part.get_filename() or 'attachment'})")
        self.stream.write("\n".join(lines) + "\n" + "-" * 79 + "\n")
