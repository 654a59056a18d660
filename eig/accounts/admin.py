from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from eig.accounts.models import Role, User
from eig.accounts.services import user_set_roles
from eig.forms import AdminInputMixin, TextGuardMixin


class RolesField(forms.TypedMultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=Role.choices,
            widget=forms.CheckboxSelectMultiple,
            required=False,
            label=_("rôles"),
            **kwargs,
        )


class UserAdminChangeForm(TextGuardMixin, UserChangeForm):
    roles = RolesField()

    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserAdminCreationForm(TextGuardMixin, AdminUserCreationForm):
    roles = RolesField()

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "roles"]


@admin.register(User)
class UserAdmin(AdminInputMixin, BaseUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "roles", "administration", "is_active"]
    list_filter = ["is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name", "administration__name"]
    list_select_related = ["administration"]
    # Membership of an administration is granted on the administration's page (memberships
    # inline), through the services that keep its history; here it is only shown.
    readonly_fields = ["administration"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Identité"), {"fields": ["first_name", "last_name", "job_title", "phone"]}),
        (_("Rôles"), {"fields": ["roles", "administration"]}),
        (
            _("Droits"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Roles go through the service, so that the staff role and admin access agree.
        user_set_roles(user=obj, roles=form.cleaned_data.get("roles", obj.roles))

    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "email",
                    "first_name",
                    "last_name",
                    "roles",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]


# allauth's own admin shows and edits an authenticator's data, that is the TOTP secret and the
# recovery-code seed: whoever saw them could log in as that person. Here staff only see that
# a factor exists and may delete it (a member who lost their phone enrols again).
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    raw_id_fields = ("user",)
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type", "created_at", "last_used_at")
    search_fields = ("user__email",)
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
