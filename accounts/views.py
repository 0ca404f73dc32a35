import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import second_factor
from accounts.forms import SecondFactorCodeForm
from core.exceptions import ApplicationError


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """Too many failed logins (django-axes): a page that says for how long, or JSON for the API."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    if request.path.startswith("/api/"):
        detail = _("Too many failed logins: try again in %(minutes)d minutes.") % {"minutes": minutes}
        return JsonResponse({"detail": detail}, status=429, headers={"Retry-After": str(minutes * 60)})
    return render(request, "registration/locked.html", {"cooloff_minutes": minutes}, status=429)


@login_required
def second_factor_view(request: HttpRequest) -> HttpResponse:
    """Set up, confirm or remove one's second factor (accounts.second_factor)."""
    if not second_factor.may_use_second_factor(request.user):
        raise PermissionDenied(_("A second factor is offered to the national authority's staff."))
    action = request.POST.get("action") if request.method == "POST" else None
    form = SecondFactorCodeForm(request.POST if action in ("confirm", "remove") else None)
    status = 200
    try:
        if action == "start":
            second_factor.enrolment_start(request.user)
        elif action in ("confirm", "remove") and form.is_valid():
            code = form.cleaned_data["otp_token"]
            if action == "confirm":
                second_factor.enrolment_confirm(request.user, code)
                messages.success(request, _("Your second factor is set up: the login now asks for its code."))
            else:
                second_factor.second_factor_remove(request.user, code)
                messages.success(request, _("Your second factor is removed."))
            return redirect("second-factor")
        elif action is not None:
            status = 400
    except ApplicationError as refused:
        for field, errors in refused.errors.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        if not refused.errors:
            form.add_error(None, refused.message)
        status = 400
    context = {"confirmed": second_factor.confirmed_device(request.user), "form": form}
    pending = second_factor.pending_device(request.user)
    if pending is not None and context["confirmed"] is None:
        context["secret"] = base64.b32encode(pending.bin_key).decode()
        context["qr"] = segno.make(pending.config_url, error="m").svg_inline(scale=4)
    return render(request, "registration/second_factor.html", context, status=status)
