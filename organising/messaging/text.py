"""User-written text: plain text in, safe HTML out.

`clean_html()` is the one place that wraps the sanitiser (bleach today; nh3 later is a
change to this file only). Only its output is ever marked safe in templates.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import bleach
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.translation import gettext as _

ALLOWED_TAGS = frozenset({"a", "br", "p"})
ALLOWED_ATTRIBUTES = {"a": ["href", "rel", "class"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# Markup that shows someone tried to inject HTML rather than write about it.
DANGEROUS_MARKUP = re.compile(
    r"<\s*/?\s*(script|style|iframe|object|embed|svg|math|link|meta|base|form)\b"
    r"|<[^>]*\son[a-z]+\s*="
    r"|<[^>]*(?:href|src|action)\s*=\s*['\"]?\s*(?:javascript|vbscript|data):",
    re.IGNORECASE,
)

URL = r"(?P<url>https?://[^\s<>\"']+)"
MENTION = r"(?<![\w@/.])@(?P<mention>[\w][\w.-]{0,38}[\w]|[\w])"
HASHTAG = r"(?<![\w&#/])#(?P<tag>[^\W\d_][\w]{0,59}|\d+[^\W\d_][\w]*)"
TOKENS = re.compile(f"{URL}|{MENTION}|{HASHTAG}", re.UNICODE)
TRAILING_PUNCTUATION = ".,;:!?)]}'\""


# Documents (rendered Markdown): headings, lists, quotes, code, tables and images too.
RICH_TAGS = ALLOWED_TAGS | frozenset(
    {"h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre"}
    | {"code", "em", "strong", "del", "hr", "img", "sup", "sub"}
    | {"table", "thead", "tbody", "tr", "th", "td"}
)
RICH_ATTRIBUTES = {
    **ALLOWED_ATTRIBUTES,
    "img": ["src", "alt", "title"],
    "ol": ["start"],
}


def clean_html(html: str, *, rich: bool = False) -> str:
    """Keep links, paragraphs and line breaks; drop every other tag and attribute.
    `rich` (documents) also keeps headings, lists, quotes, code, tables, images."""
    return bleach.clean(
        html,
        tags=RICH_TAGS if rich else ALLOWED_TAGS,
        attributes=RICH_ATTRIBUTES if rich else ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )


def reject_markup(text: str, field_name: str = "body") -> None:
    """Refuse script, event-handler or javascript: markup with a clear error."""
    if DANGEROUS_MARKUP.search(text):
        raise ValidationError(
            {field_name: _("Scripts and HTML are not allowed: write plain text.")}
        )


@dataclass
class Rendered:
    html: str
    mentions: list[str] = field(default_factory=list)  # handles, lower case, in order
    hashtags: list[str] = field(default_factory=list)  # lower case, in order


def hashtag_key(name: str) -> str:
    """One spelling per tag: compatibility-normalised (full-width letters,
    ligatures) and case-folded, so #Ｌyon, #LYON and #lyon are one tag."""
    return unicodedata.normalize("NFKC", name).casefold()[:60]


def render_text(
    text: str,
    *,
    mention_url: Callable[[str], str | None] = lambda name: None,
    hashtag_url: Callable[[str], str] | None = None,
) -> Rendered:
    """Plain text to HTML: links, @mentions and #hashtags become links, line breaks
    become <br>, everything else is escaped; then `clean_html()` has the last word.
    `mention_url(handle)` answers None for a handle that names nobody."""
    out: list[str] = []
    mentions: list[str] = []
    hashtags: list[str] = []
    position = 0
    for match in TOKENS.finditer(text):
        out.append(escape(text[position : match.start()]))
        position = match.end()
        if match.group("url"):
            url = match.group("url")
            trailing = ""
            while url and url[-1] in TRAILING_PUNCTUATION:
                trailing = url[-1] + trailing
                url = url[:-1]
            out.append(
                f'<a href="{escape(url)}" rel="nofollow noopener ugc">{escape(url)}</a>'
                f"{escape(trailing)}"
            )
        elif match.group("mention"):
            name = match.group("mention").lower()
            href = mention_url(name)
            if href is None:
                out.append(escape(match.group(0)))
            else:
                if name not in mentions:
                    mentions.append(name)
                out.append(
                    f'<a href="{escape(href)}" class="mention">@{escape(name)}</a>'
                )
        else:
            tag = hashtag_key(match.group("tag"))
            if tag not in hashtags:
                hashtags.append(tag)
            if hashtag_url is None:
                out.append(escape(match.group(0)))
            else:
                href = hashtag_url(tag)
                out.append(
                    f'<a href="{escape(href)}" class="hashtag">'
                    f"#{escape(match.group('tag'))}</a>"
                )
    out.append(escape(text[position:]))
    html = "".join(out).replace("\r\n", "\n").replace("\n", "<br>")
    return Rendered(html=clean_html(html), mentions=mentions, hashtags=hashtags)
