from django.db import migrations


def forwards(apps, schema_editor):
    """New categories (ethics -> DKPP, crime_general) and deadline rules; routing rules for the new categories."""
    from sinergi.incidents.defaults import load, routing_rules

    load(apps)
    Category = apps.get_model("incidents", "Category")
    RoutingRule = apps.get_model("incidents", "RoutingRule")
    for r in routing_rules():
        if r["category"] in ("ethics", "crime_general"):
            cat = Category.objects.filter(code=r["category"]).first()
            if cat is not None and not RoutingRule.objects.filter(category=cat).exists():
                RoutingRule.objects.create(category=cat, region_prefix=r.get("region", ""), agency_code=r["agency"],
                                           note=r.get("note", ""))


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_triage")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
