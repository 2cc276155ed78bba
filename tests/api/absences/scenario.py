"""November 2026 in school A (a collège of zone C, no Wednesday afternoon; 11 November is a
public holiday; the Toussaint holidays end on 1 November), counted by hand:

- Lina (6A, group ESP2): absent Monday 16 M1 to Tuesday 17 S4, no motive: 4 unjustified
  half-days; late on Thursday 19 at M1.
- Noah (6B): absent Wednesday 18 M1 to Thursday 19 M2, no motive: 2 unjustified half-days
  (no class on Wednesday afternoon); ill on Friday 20 S1-S2: 1 justified half-day.
- Éloïse (6A): absent Monday 9 to Wednesday 11 with a non-valid motive: 4 unjustified
  half-days (the 11th is a holiday); in October, Friday 16 morning: 1 half-day.

November has 37 taught half-days (Monday 2 to Monday 30, Wednesdays mornings only, not the 11th).
"""

from __future__ import annotations

from datetime import date

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
TAUGHT_IN_NOVEMBER = 37


async def november(world, desk) -> None:
    lina, noah, eloise = (world.students[k] for k in ("lina", "noah", "eloise"))
    await desk.absence(lina, date(2026, 11, 16), "M1", date(2026, 11, 17), "S4")
    await desk.lateness(lina, date(2026, 11, 19), "M1", 10)
    await desk.absence(noah, date(2026, 11, 18), "M1", date(2026, 11, 18), "S4")
    await desk.absence(noah, date(2026, 11, 19), "M1", date(2026, 11, 19), "M2")
    await desk.absence(noah, date(2026, 11, 20), "S1", date(2026, 11, 20), "S2", motive="MAL")
    await desk.absence(eloise, date(2026, 11, 9), "M1", date(2026, 11, 11), "S4", motive="NVA")
    await desk.absence(eloise, date(2026, 10, 16), "M1", date(2026, 10, 16), "M4", motive="NVA")
