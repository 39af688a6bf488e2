"""factory_boy factories for the foundation apps. Units are made through the service so `path` is right."""

import factory

from sinergi.accounts.choices import AgencyKind, Role, UnitLevel
from sinergi.accounts.models import Agency, User
from sinergi.accounts.services import unit_create
from sinergi.regions.models import Region, RegionLevel


def agency(code: str = AgencyKind.POLRI) -> Agency:
    obj, _ = Agency.objects.get_or_create(code=code, defaults={"name": AgencyKind(code).label})
    return obj


_seq = iter(range(1, 10**9))


def unit(agency_code: str = AgencyKind.POLRI, *, parent=None, level: str = UnitLevel.REGENCY, name: str = "",
         code: str = "", jurisdiction=()):
    n = next(_seq)
    return unit_create(actor=None, agency=agency(agency_code), parent=parent, level=level,
                       code=code or f"{agency_code}-T{n}", name=name or f"{agency_code} test unit {n}",
                       jurisdiction=jurisdiction, audit=False)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.OPERATOR
    password = factory.PostGenerationMethodCall("set_password", "Rahasia-Kuat-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def region(code: str, name: str = "", **kw) -> Region:
    parts = code.split(".")
    level = [RegionLevel.PROVINCE, RegionLevel.REGENCY, RegionLevel.DISTRICT, RegionLevel.VILLAGE][len(parts) - 1]
    parent = Region.objects.get(code=".".join(parts[:-1])) if len(parts) > 1 else None
    obj, _ = Region.objects.get_or_create(
        code=code, defaults={"level": level, "parent": parent, "name": name or f"Wilayah {code}",
                             "province_code": parts[0], **kw})
    return obj


def api_token(user) -> str:
    """Issue an API token for `user` and return the raw key for the `Authorization: Token <key>` header.

    Tests and benchmarks call this instead of creating token rows themselves, so the way tokens are stored
    can change in one place.
    """
    from sinergi.api.services import token_issue

    return token_issue(user=user).key


def verified_commander(unit, **kw) -> User:
    """A commander whose session passed the second factor (a confirmed TOTP device marked as used)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = UserFactory(unit=unit, role=Role.COMMANDER, **kw)
    user.otp_device = TOTPDevice.objects.create(user=user, name="uji", confirmed=True)
    return user


def renpam_approve(plan, *, unit=None, phase: str = "pemungutan", rank: str = "Kombes Pol"):
    """Approve `plan` as the Renpam of `phase` through the service, by a verified commander of `unit` (default:
    the plan's election province Polda, else any Polri unit)."""
    from sinergi.accounts.models import Unit
    from sinergi.deployment.services import plan_approve

    if unit is None:
        unit = (Unit.objects.filter(agency__code=AgencyKind.POLRI, level=UnitLevel.PROVINCE).first()
                or Unit.objects.filter(agency__code=AgencyKind.POLRI).first() or globals()["unit"]())
    return plan_approve(actor=verified_commander(unit), plan=plan, phase=phase, rank=rank)
