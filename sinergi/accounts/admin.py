from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Agency, Unit, UnitStrength, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("label", "username", "staff_number", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "unit__agency")
    list_select_related = ("unit",)
    search_fields = ("username", "first_name", "last_name", "email", "staff_number", "rank", "unit__name")
    fieldsets = BaseUserAdmin.fieldsets + (("Sinergi", {"fields": ("unit", "role", "rank", "staff_number")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("Sinergi", {"fields": ("first_name", "last_name", "unit", "role", "rank", "staff_number")}),)
    raw_id_fields = ("unit",)

    @admin.display(description=_("nama, pangkat, satuan"), ordering="first_name")
    def label(self, obj: User) -> str:
        return obj.display_label


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "agency", "level", "parent")
    list_filter = ("agency", "level")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    filter_horizontal = ()
    readonly_fields = ("path",)
    exclude = ("jurisdiction",)


@admin.register(UnitStrength)
class UnitStrengthAdmin(admin.ModelAdmin):
    list_display = ("unit", "personnel_type", "count", "estimated")
    list_filter = ("personnel_type", "estimated")
