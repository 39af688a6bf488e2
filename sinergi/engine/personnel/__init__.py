"""Personnel engine (pure Python): fill a plan's posts with named officers (:mod:`.assign`) and suggest the
nearest available units for an incident (:mod:`.dispatch`)."""
