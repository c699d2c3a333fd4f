"""The user admin, guarded against privilege escalation (see ``waterdesk.core.access``).

Non-superusers do not see ``is_superuser`` and single permissions, see their own roles and
flags read-only, and cannot open a superuser's account for editing. Because a crafted POST
can send any field, the form refuses those fields when they are sent, and the save checks
the stored result once more.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError

from waterdesk.core.access import (
    OWN_ACCOUNT_FIELDS,
    user_access_change_refusal,
    user_password_change_refusal,
)

User = get_user_model()


class _AccessGuardMixin:
    actor = None  # set per request by StaffUserAdmin.get_form

    def clean(self):
        cleaned_data = super().clean()
        # The account as stored: the instance already carries some of the posted values.
        stored = User.objects.get(pk=self.instance.pk) if self.instance.pk else User()
        changed = {name for name in OWN_ACCOUNT_FIELDS if name in self.data}
        groups_added = []
        if "groups" in cleaned_data and stored.pk is not None:
            current = set(stored.groups.values_list("pk", flat=True))
            groups_added = [group for group in cleaned_data["groups"] if group.pk not in current]
        elif "groups" in cleaned_data:
            groups_added = list(cleaned_data["groups"])
        refusal = user_access_change_refusal(
            actor=self.actor, user=stored, changed=changed, groups_added=groups_added
        )
        if refusal:
            raise ValidationError(refusal, code="access_refused")
        return cleaned_data


class StaffUserChangeForm(_AccessGuardMixin, UserChangeForm):
    pass


class StaffUserCreationForm(_AccessGuardMixin, AdminUserCreationForm):
    pass


class StaffUserAdmin(UserAdmin):
    form = StaffUserChangeForm
    add_form = StaffUserCreationForm

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        hidden = {"is_superuser", "user_permissions"}
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser and obj is not None and obj.pk == request.user.pk:
            readonly += ["groups", "is_staff", "is_active"]
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        # Setting the password of an account that can do more than oneself is taking it
        # over: only a superuser may do that.
        user = self.get_object(request, id)
        refusal = user is not None and user_password_change_refusal(actor=request.user, user=user)
        if refusal:
            raise PermissionDenied(refusal)
        return super().user_change_password(request, id, form_url)

    def save_model(self, request, obj, form, change):
        stored = User.objects.get(pk=obj.pk) if change else User()
        changed = {
            name
            for name in ("is_superuser", "is_staff", "is_active")
            if getattr(obj, name) != getattr(stored, name)
        }
        self._refuse(request, user=stored, changed=changed)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        user = form.instance
        before_groups = set(user.groups.all()) if change else set()
        before_perms = set(user.user_permissions.all()) if change else set()
        super().save_related(request, form, formsets, change)
        after_groups = set(user.groups.all())
        changed = set()
        if after_groups != before_groups:
            changed.add("groups")
        if set(user.user_permissions.all()) != before_perms:
            changed.add("user_permissions")
        self._refuse(
            request,
            user=User.objects.get(pk=user.pk) if change else User(),
            changed=changed,
            groups_added=list(after_groups - before_groups),
        )

    @staticmethod
    def _refuse(request, **kwargs):
        refusal = user_access_change_refusal(actor=request.user, **kwargs)
        if refusal:
            # Raised inside the admin's transaction: nothing of the change is kept.
            raise PermissionDenied(refusal)


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
