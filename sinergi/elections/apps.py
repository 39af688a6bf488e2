from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElectionsConfig(AppConfig):
    name = "sinergi.elections"
    label = "elections"
    verbose_name = _("Pemilihan")

    def ready(self) -> None:
        from sinergi.core.providers import provide

        from . import selectors, selectors_map

        # read by the region browser and the map (regions sits below elections; ADR 0007)
        provide("elections.default_election", selectors.default_election)
        provide("elections.region_tps", selectors_map.region_tps)
        provide("elections.tps_points", selectors_map.tps_points)
        provide("elections.tps_clusters", selectors_map.tps_clusters)
