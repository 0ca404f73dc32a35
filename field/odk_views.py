"""An OpenRosa 1.0 server for ODK Collect: form list, forms and their media, submissions.

Collect is configured with the server address `<site>/odk/`, a user name and a password. It asks
first without credentials, expects 401 with a Basic challenge, and asks again with them (send it
over HTTPS only: Basic credentials are readable otherwise). Each user sees the forms of the
records their role may report; each submission becomes a record through the domain services
(field.submissions).
"""

import base64
import binascii
from functools import wraps

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts import second_factor
from field.models import FieldSubmission
from field.openrosa import InstanceError, instance_data, instance_parse
from field.submissions import form_may_use, submission_receive
from field.xlsforms import FORMS, BuiltForm, form_build, forms_build, media_hash

OPENROSA_VERSION = "1.0"
REALM = "Mine Action IMS"
# What one submission request may weigh (the instance and its files): ODK Central's figure.
# Collect splits a heavier submission into several requests under this size.
SUBMISSION_MAX_BYTES = 10_000_000
XML = "text/xml; charset=utf-8"
INSTANCE_ID_MAX = FieldSubmission._meta.get_field("instance_id").max_length


def _openrosa(response: HttpResponse) -> HttpResponse:
    response["X-OpenRosa-Version"] = OPENROSA_VERSION
    response["Date"] = http_date()
    return response


def _message(status: int, message: str, *, nature: str = "") -> HttpResponse:
    """An OpenRosa response: Collect shows its message to the person who sent the form."""
    body = render_to_string("field/odk/response.xml", {"message": message, "nature": nature})
    return _openrosa(HttpResponse(body, status=status, content_type=XML))


def _submission_headers(response: HttpResponse) -> HttpResponse:
    response["X-OpenRosa-Accept-Content-Length"] = str(SUBMISSION_MAX_BYTES)
    return response


USERNAME_MAX = 150


def basic_user(request: HttpRequest):
    """The active user of the request's Basic credentials, else None. Authenticated with the
    request, so that django-axes counts failures and locks an account or address guessing."""
    scheme, _space, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = decoded.partition(":")
    # No user has such a name (150 characters at most, no NUL): not worth a query, nor an attempt
    # django-axes would fail to record.
    if not colon or not username or len(username) > USERNAME_MAX or "\x00" in decoded:
        return None
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        return None
    # Collect cannot send a second factor's code: an account protected by one does not log in here.
    if second_factor.confirmed_device(user) is not None:
        return None
    return user


def openrosa_login_required(view):
    """Basic authentication as Collect does it: a 401 challenge first, then the retry with
    credentials. No session is opened: each request carries its own."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = basic_user(request)
        if user is None:
            response = _message(401, _("Give your user name and password."))
            response["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
            return response
        request.user = user
        return view(request, *args, **kwargs)

    return wrapper


def _usable_form(request: HttpRequest, form_id: str) -> tuple[BuiltForm | None, HttpResponse | None]:
    spec = FORMS.get(form_id)
    if spec is None:
        return None, _message(404, _("There is no form “%(form)s”.") % {"form": form_id})
    if not form_may_use(request.user, spec):
        return None, _message(403, _("Your role may not report with this form."))
    return form_build(form_id), None


def _urls(request: HttpRequest, form: BuiltForm) -> dict[str, str]:
    return {
        "download_url": request.build_absolute_uri(reverse("odk-form", args=[form.form_id])),
        "manifest_url": request.build_absolute_uri(reverse("odk-manifest", args=[form.form_id])) if form.media else "",
    }


@require_http_methods(["GET", "HEAD"])
@openrosa_login_required
def form_list(request: HttpRequest) -> HttpResponse:
    """OpenRosa's form list: the forms this user may report with (`formID` narrows it to one)."""
    wanted = request.GET.get("formID")
    form_ids = [
        form_id
        for form_id, spec in FORMS.items()
        if (not wanted or form_id == wanted) and form_may_use(request.user, spec)
    ]
    forms = [
        {"form_id": form.form_id, "title": form.title, "version": form.version, "hash": form.hash,
         **_urls(request, form)}
        for form in forms_build(form_ids)
    ]  # fmt: skip
    body = render_to_string("field/odk/form_list.xml", {"forms": forms})
    return _openrosa(HttpResponse(body, content_type=XML))


@require_http_methods(["GET", "HEAD"])
@openrosa_login_required
def form_download(request: HttpRequest, form_id: str) -> HttpResponse:
    form, refusal = _usable_form(request, form_id)
    if refusal is not None:
        return refusal
    response = HttpResponse(form.xform, content_type=XML)
    response["Content-Disposition"] = f'attachment; filename="{form_id}.xml"'
    return _openrosa(response)


@require_http_methods(["GET", "HEAD"])
@openrosa_login_required
def form_xlsx(request: HttpRequest, form_id: str) -> HttpResponse:
    """The XLSForm itself, to deploy the same form on KoboToolbox (with its media files)."""
    form, refusal = _usable_form(request, form_id)
    if refusal is not None:
        return refusal
    response = HttpResponse(
        form.xlsx(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{form_id}.xlsx"'
    return _openrosa(response)


@require_http_methods(["GET", "HEAD"])
@openrosa_login_required
def form_manifest(request: HttpRequest, form_id: str) -> HttpResponse:
    form, refusal = _usable_form(request, form_id)
    if refusal is not None:
        return refusal
    files = [
        {
            "filename": name,
            "hash": media_hash(content),
            "download_url": request.build_absolute_uri(reverse("odk-media", args=[form_id, name])),
        }
        for name, content in form.media.items()
    ]
    body = render_to_string("field/odk/manifest.xml", {"files": files})
    return _openrosa(HttpResponse(body, content_type=XML))


@require_http_methods(["GET", "HEAD"])
@openrosa_login_required
def form_media(request: HttpRequest, form_id: str, filename: str) -> HttpResponse:
    form, refusal = _usable_form(request, form_id)
    if refusal is not None:
        return refusal
    if filename not in form.media:
        return _message(404, _("The form has no file “%(name)s”.") % {"name": filename})
    response = HttpResponse(form.media[filename], content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _openrosa(response)


@csrf_exempt
@require_http_methods(["HEAD", "POST"])
@openrosa_login_required
def submission(request: HttpRequest) -> HttpResponse:
    """HEAD: Collect asks where and how much it may send. POST: one instance (the part
    `xml_submission_file`) with its files, kept as a FieldSubmission and made into a record."""
    if request.method == "HEAD":
        return _submission_headers(_openrosa(HttpResponse(status=204)))
    return _submission_headers(_submission_post(request))


def _submission_post(request: HttpRequest) -> HttpResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _message(400, _("The Content-Length header is not a number."))
    if length > SUBMISSION_MAX_BYTES:
        return _message(413, _("The submission is larger than %(limit)s bytes.") % {"limit": SUBMISSION_MAX_BYTES})
    if request.content_type != "multipart/form-data":
        return _message(400, _("Send the submission as multipart/form-data."))
    try:
        uploads = request.FILES
    except (MultiPartParserError, RequestDataTooBig, TooManyFilesSent) as exc:
        return _message(400, _("The multipart body cannot be read: %(error)s") % {"error": exc})
    xml_file = uploads.get("xml_submission_file")
    if xml_file is None:
        return _message(400, _("The part xml_submission_file (the instance) is missing."))
    xml = xml_file.read()
    try:
        instance = instance_parse(xml)
    except InstanceError as exc:
        return _message(400, exc.message)
    spec = FORMS.get(instance.form_id)
    if spec is None:
        return _message(404, _("There is no form “%(form)s”: update your forms.") % {"form": instance.form_id[:100]})
    if not form_may_use(request.user, spec):
        return _message(403, _("Your role may not report with this form."))
    if len(instance.instance_id) > INSTANCE_ID_MAX:
        return _message(400, _("The instance id is longer than %(max)s characters.") % {"max": INSTANCE_ID_MAX})
    files = [
        (upload.name, upload) for key, items in uploads.lists() if key != "xml_submission_file" for upload in items
    ]
    try:
        received = submission_receive(
            source=FieldSubmission.Source.ODK, form_id=spec.form_id, instance_id=instance.instance_id,
            form_version=instance.version, user=request.user, answers=instance_data(instance.root, spec.repeats),
            payload=xml.decode("utf-8", errors="replace"), files=files,
        )  # fmt: skip
    except PermissionDenied as exc:
        return _message(403, str(exc))
    if not received.created:
        return _message(202, _("This form was already received."), nature="submit_success")
    if received.accepted:
        return _message(201, _("Received and submitted for approval."), nature="submit_success")
    # Kept with its errors for a data manager: a success for Collect, which must not send it again.
    return _message(
        202,
        _("Received, but it breaks a rule: it is kept for review by a data manager (%(errors)s).")
        % {
            "errors": "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in received.submission.errors.items()
            )
        },
        nature="submit_success",
    )
