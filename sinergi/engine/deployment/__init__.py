"""Security deployment planner engine (pure Python): travel model, guard groups, reinforcements, reserves.

Modules: :mod:`.travel` (road + sea travel times), :mod:`.islands` (land masses from polygons),
:mod:`.patterns` (A-B-C patterns), :mod:`.grouping` (guard groups with bounds), :mod:`.flow`
(reinforcements by min-cost flow), :mod:`.reserves` (p-median / p-center with bounds), :mod:`.plan`
(the whole plan from arrays).
"""
