from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Agency, Unit, UnitStrength, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "unit", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "unit__agency")
    fieldsets = BaseUserAdmin.fieldsets + (("Sinergi", {"fields": ("unit", "role")}),)
    raw_id_fields = ("unit",)


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
