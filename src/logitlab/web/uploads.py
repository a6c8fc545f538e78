"""A multipart/form-data body (already read, and bounded, by the app's middleware) parsed in
memory for its "file" field.

Why not Starlette's form(): it spools file parts above 1 MB to a temporary file on disk, and
the playground writes nothing to the server's disk.
"""

from __future__ import annotations

from python_multipart.multipart import MultipartParser, parse_options_header

from ..errors import DataError

#: The form field that carries the CSV.
FIELD = b"file"


def multipart_file(body: bytes, content_type: str | None) -> bytes:
    """The bytes of the form's "file" field; DataError for anything else."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise DataError("send the CSV as multipart/form-data with a field named 'file'")
    parts: list[tuple[bytes | None, bytearray]] = []
    header = {"field": b"", "value": b""}
    names: dict[str, bytes | None] = {"name": None}

    def on_part_begin() -> None:
        names["name"] = None
        parts.append((None, bytearray()))

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header["value"] += data[start:end]

    def on_header_end() -> None:
        if header["field"].lower() == b"content-disposition":
            names["name"] = parse_options_header(header["value"])[1].get(b"name")
        header["field"] = header["value"] = b""

    def on_headers_finished() -> None:
        parts[-1] = (names["name"], parts[-1][1])

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1][1].extend(data[start:end])

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data,
        "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished,
    })  # fmt: skip
    try:
        parser.write(body)
        parser.finalize()
    except Exception as exc:  # python-multipart's parse errors, whatever their class
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise DataError(f"the upload is not a readable multipart form: {reason}") from None
    files = [bytes(data) for name, data in parts if name == FIELD]
    if len(files) != 1:
        raise DataError(f"the form must carry one field named 'file' (the CSV), got {len(files)}")
    return files[0]
