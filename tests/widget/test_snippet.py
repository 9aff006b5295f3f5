"""The embed code the panel shows for a channel."""

from botdesk.widget.snippet import frame_url, snippet


def test_snippet_is_one_escaped_script_tag() -> None:
    code = snippet("https://desk.example/", 'c"1<x>')
    assert code == (
        '<script src="https://desk.example/widget.js" data-channel="c&quot;1&lt;x&gt;" async>'
        "</script>"
    )


def test_frame_url_quotes_the_channel() -> None:
    assert frame_url("https://desk.example", "a b") == "https://desk.example/frame?channel=a%20b"
