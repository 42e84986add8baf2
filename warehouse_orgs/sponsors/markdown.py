"""A sponsor's activity: Markdown that staff or the feed wrote, shown as HTML.

Rendered by markdown-it (CommonMark, raw HTML off), then cleaned by nh3 with a short list of
tags, so whatever the text holds, the page gets only paragraphs, emphasis, lists and links that
open on their own and carry no referrer trust.
"""

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
_ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "ul", "ol", "li", "a", "blockquote"}
_ALLOWED_ATTRIBUTES = {"a": {"href"}}
_ALLOWED_URL_SCHEMES = {"https", "http", "mailto"}


def render_activity(markdown: str | None) -> Markup:
    if not markdown:
        return Markup("")
    html = _MARKDOWN.render(markdown)
    # Safe to mark: nh3 has just removed everything but the tags and attributes listed above.
    return Markup(  # noqa: S704
        nh3.clean(
            html,
            tags=_ALLOWED_TAGS,
            attributes=_ALLOWED_ATTRIBUTES,
            url_schemes=_ALLOWED_URL_SCHEMES,
            link_rel="nofollow noopener noreferrer",
        )
    )
