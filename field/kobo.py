"""Submissions pulled from KoboToolbox (API v2), made into records like those of ODK Collect.

A KoboSource names an asset deployed from one of the system's XLSForms (field.xlsforms, downloadable
at /odk/forms/<form>/form.xlsx) and the user the records are made as. Each pull reads the asset's
data a page of at most 1,000 rows at a time, following the `next` links; a row already received
(same instance id) is skipped, so pulling again never duplicates.
"""

import datetime
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core.validation import SURROGATE
from field.models import FieldSubmission, KoboSource
from field.openrosa import kobo_row_data
from field.submissions import form_may_use, submission_receive
from field.xlsforms import FORMS

logger = logging.getLogger(__name__)

PAGE_SIZE = 1000
# Seconds to connect, and to wait for each answer: a slow server ends the pull, the next one resumes.
TIMEOUT = (10, 120)
# A safety stop for a server whose `next` links never end.
MAX_PAGES = 10_000
ATTACHMENT_MAX_BYTES = 10_000_000
# Rows submitted on Kobo a little before the last pull may reach its API after it: read them again.
OVERLAP = datetime.timedelta(hours=1)
INSTANCE_ID_MAX = FieldSubmission._meta.get_field("instance_id").max_length


class KoboPullError(Exception):
    """The pull could not be done (server, token, asset, user): nothing more was read."""


@dataclass
class PullResult:
    source: str
    pages: int = 0
    created: int = 0
    rejected: int = 0
    duplicates: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "pages": self.pages, "created": self.created, "rejected": self.rejected,
            "duplicates": self.duplicates, "skipped": self.skipped, "errors": self.errors,
        }  # fmt: skip


def _same_origin(url: str, base: str) -> bool:
    """The token goes to the source's own server only, never to a host a response names."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def data_url(source: KoboSource) -> str:
    return f"{source.server_url.rstrip('/')}/api/v2/assets/{source.asset_uid}/data/"


def _session(source: KoboSource) -> requests.Session:
    session = requests.Session()
    session.headers.update({"Authorization": f"Token {source.api_token}", "Accept": "application/json"})
    return session


def _get(session: requests.Session, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
    try:
        response = session.get(url, params=params, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise KoboPullError(_("KoboToolbox cannot be reached: %(error)s") % {"error": exc}) from exc
    if response.status_code in (401, 403):
        raise KoboPullError(
            _("KoboToolbox refused the API token (HTTP %(status)s).") % {"status": response.status_code}
        )
    if response.status_code == 404:
        raise KoboPullError(_("KoboToolbox knows no such asset (HTTP 404)."))
    if response.status_code != 200:
        raise KoboPullError(_("KoboToolbox answered HTTP %(status)s.") % {"status": response.status_code})
    try:
        body = response.json()
    except ValueError as exc:
        raise KoboPullError(_("KoboToolbox did not answer JSON.")) from exc
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise KoboPullError(_("KoboToolbox's answer has no list of results."))
    return body


def _attachments(session: requests.Session, source: KoboSource, row: dict[str, Any]) -> list[tuple[str, bytes]]:
    """The row's files, from the source's own server; one that cannot be fetched is noted in the
    log and left out, since the answers matter more than a photo."""
    files = []
    for attachment in row.get("_attachments") or []:
        if not isinstance(attachment, dict):
            continue
        url = attachment.get("download_url") or ""
        name = attachment.get("media_file_basename") or (attachment.get("filename") or "").rsplit("/", 1)[-1]
        if not url or not name or not _same_origin(url, source.server_url):
            continue
        try:
            with session.get(url, timeout=TIMEOUT, stream=True) as response:
                response.raise_for_status()
                content = bytearray()
                for chunk in response.iter_content(1 << 16):
                    content += chunk
                    if len(content) > ATTACHMENT_MAX_BYTES:
                        raise KoboPullError(_("The attachment is too large."))
        except (requests.RequestException, KoboPullError) as exc:
            logger.warning("Kobo source %s: attachment %s not fetched: %s", source.name, name, exc)
            continue
        files.append((name, bytes(content)))
    return files


def instance_id_of(row: dict[str, Any]) -> str:
    """`meta/instanceID` as ODK writes it, else Kobo's `_uuid` in the same form."""
    value = row.get("meta/instanceID") or (f"uuid:{row['_uuid']}" if row.get("_uuid") else "")
    return str(value).strip()


def row_payload(row: dict[str, Any]) -> str:
    """The row as kept with its submission: readable JSON, escaped where a lone surrogate would make
    text PostgreSQL cannot store."""
    payload = json.dumps(row, ensure_ascii=False)
    return json.dumps(row) if SURROGATE.search(payload) else payload


def kobo_source_pull(*, source: KoboSource) -> PullResult:
    """Reads every page of the asset's data and receives each new row (field.submissions).

    One pull per source at a time (a PostgreSQL advisory lock): beat and a "Pull now" at the same
    moment would only read the same rows twice.
    """
    result = PullResult(source=source.name)
    spec = FORMS.get(source.form_id)
    if spec is None:
        raise KoboPullError(_("The source names no form of the system: “%(form)s”.") % {"form": source.form_id})
    if not form_may_use(source.user, spec):
        raise KoboPullError(
            _("%(user)s may not report with the form %(form)s for an organisation.")
            % {"user": source.user, "form": source.form_id}
        )
    lock = f"field.kobo_pull:{source.pk}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [lock])
        (locked,) = cursor.fetchone()
    if not locked:
        result.errors.append(_("Another pull of this source is running."))
        return result
    try:
        started = timezone.now()
        _pull_pages(source, spec, result)
        KoboSource.objects.filter(pk=source.pk).update(last_pulled_at=started)
        source.last_pulled_at = started
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [lock])
    return result


def _pull_pages(source: KoboSource, spec, result: PullResult) -> None:
    session = _session(source)
    params = {"format": "json", "limit": str(PAGE_SIZE)}
    if source.last_pulled_at is not None:
        since = (source.last_pulled_at - OVERLAP).astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        params["query"] = json.dumps({"_submission_time": {"$gte": since}})
    url: str | None = data_url(source)
    seen: set[str] = set()
    with session:
        while url:
            if url in seen or result.pages >= MAX_PAGES:
                raise KoboPullError(_("KoboToolbox's pages loop back on themselves."))
            seen.add(url)
            body = _get(session, url, params)
            result.pages += 1
            # `next` carries the query already.
            params = None
            for row in body["results"]:
                if isinstance(row, dict):
                    _row_receive(session, source, spec, row, result)
                else:
                    result.skipped += 1
            url = body.get("next") or None
            if url and not _same_origin(url, source.server_url):
                raise KoboPullError(_("KoboToolbox's next page is on another server: %(url)s") % {"url": url[:200]})


def _row_receive(session: requests.Session, source: KoboSource, spec, row: dict[str, Any], result: PullResult) -> None:
    instance_id = instance_id_of(row)
    if not instance_id or len(instance_id) > INSTANCE_ID_MAX:
        result.skipped += 1
        result.errors.append(
            _("A row without a usable instance id was skipped (Kobo id %(id)s).") % {"id": row.get("_id")}
        )
        return
    # Known already: no need to fetch its files.
    if FieldSubmission.objects.filter(instance_id=instance_id).exists():
        result.duplicates += 1
        return
    try:
        received = submission_receive(
            source=FieldSubmission.Source.KOBO, form_id=spec.form_id, instance_id=instance_id,
            form_version=str(row.get("__version__") or ""), user=source.user,
            answers=kobo_row_data(row, spec.repeats),
            payload=row_payload(row),
            files=_attachments(session, source, row),
        )  # fmt: skip
    except Exception as exc:
        # One row that cannot be kept must not stop the others: it is read again next pull.
        logger.exception("Kobo source %s: row %s not received", source.name, instance_id)
        result.errors.append(f"{instance_id}: {exc}")
        return
    if not received.created:
        result.duplicates += 1
    elif received.accepted:
        result.created += 1
    else:
        result.rejected += 1
