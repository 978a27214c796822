"""What the alliance itself defines and every source shares."""

from __future__ import annotations

# The alliance's regional committees (DESIGN.md section 4): a member park may sit in several, and CRM
# projects and matches are followed by one.
COMMITTEES = ("north_america", "europe", "africa", "latin_america", "southeast_asia", "arab_states")
