"""Staff login: "remember me", and the page shown when logins are locked out."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


class StaffLoginForm(AuthenticationForm):
    remember_me = forms.BooleanField(label=_("在此电脑上保持登录"), required=False)


class StaffLoginView(LoginView):
    """Without "remember me" the session ends when the browser closes; with it the cookie
    outlives the browser. Either way it ends after ``WATERDESK_SESSION_IDLE_MINUTES`` idle
    minutes (``SESSION_COOKIE_AGE``, renewed by every request)."""

    form_class = StaffLoginForm
    template_name = "workbench/login.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "session_idle_minutes": settings.WATERDESK_SESSION_IDLE_MINUTES,
        }

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.cleaned_data.get("remember_me"):
            self.request.session.set_expiry(settings.SESSION_COOKIE_AGE)
        else:
            self.request.session.set_expiry(0)
        return response


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' ``AXES_LOCKOUT_CALLABLE``: say why the login is refused and what to do."""
    return render(
        request,
        "workbench/lockout.html",
        {
            "failure_limit": settings.WATERDESK_LOCKOUT_FAILURES,
            "lockout_minutes": settings.WATERDESK_LOCKOUT_MINUTES,
        },
        status=429,
    )
