"""What the hostile-input tests share: multipart bodies built byte by byte."""

from __future__ import annotations


def header_bytes(text: str) -> bytes:
    """What a client puts on the wire for a header value: UTF-8, raw control bytes included."""
    return text.encode("utf-8", "surrogatepass")


def multipart(parts: list[tuple[bytes, bytes]], boundary: bytes) -> bytes:
    body = b""
    for headers, content in parts:
        body += b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + content + b"\r\n"
    return body + b"--" + boundary + b"--\r\n"


def file_part(filename: str, content: bytes, *, name: str = "file", media_type: str = "") -> tuple:
    headers = b'Content-Disposition: form-data; name="' + header_bytes(name) + b'"'
    headers += b'; filename="' + header_bytes(filename) + b'"'
    if media_type:
        headers += b"\r\nContent-Type: " + header_bytes(media_type)
    return headers, content


def post_raw(who, case_file_id: str, body: bytes, boundary: bytes):
    return who.client.post(
        f"/api/v1/case-files/{case_file_id}/documents",
        data=body,
        headers={"Authorization": f"Bearer {who.token}"},
        content_type=f"multipart/form-data; boundary={boundary.decode()}",
    )
