"""What ODK Collect sends: Basic credentials, XForm instances, multipart submissions."""

import base64
import uuid

BOUNDARY = "----odkcollect7b3c1e"
# The smallest JPEG worth the name: the bytes are compared on disk, never decoded.
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def new_instance_id() -> str:
    return f"uuid:{uuid.uuid4()}"


def instance(form_id: str, version: str, instance_id: str, body: str) -> bytes:
    """An instance as Collect writes it: the form's root with its id and version, then meta."""
    return (
        f'<?xml version=\'1.0\' ?><{form_id} id="{form_id}" version="{version}" '
        'xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">'
        f"{body}<meta><instanceID>{instance_id}</instanceID></meta></{form_id}>"
    ).encode()


def multipart(parts: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    """(field name, file name, content type, content) parts, encoded as Collect's HTTP client does."""
    lines = []
    for name, filename, content_type, content in parts:
        lines.append(
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
            + content
            + b"\r\n"
        )
    body = b"".join(lines) + f"--{BOUNDARY}--\r\n".encode()
    return body, f"multipart/form-data; boundary={BOUNDARY}"


def submission_parts(xml: bytes, *photos: str) -> list[tuple[str, str, str, bytes]]:
    parts = [("xml_submission_file", "submission.xml", "text/xml", xml)]
    parts += [(name, name, "image/jpeg", PHOTO) for name in photos]
    return parts


def post_submission(client, credentials: str | None, parts, **extra):
    body, content_type = multipart(parts)
    headers = {"HTTP_AUTHORIZATION": credentials} if credentials else {}
    # Collect sends its phone's language; the rules' messages come back in it.
    headers.update(HTTP_X_OPENROSA_VERSION="1.0", HTTP_ACCEPT_LANGUAGE="en")
    return client.generic("POST", "/odk/submission", body, content_type=content_type, **headers, **extra)


def point(lon: float, lat: float) -> str:
    """ODK's geopoint: latitude first, then altitude and accuracy."""
    return f"{lat} {lon} 280.0 4.5"


def shape(ring: list[tuple[float, float]]) -> str:
    """ODK's geoshape: geopoints separated by ";", the first repeated at the end."""
    return ";".join(point(lon, lat) for lon, lat in ring)
