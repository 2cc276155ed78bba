"""OneRoster 1.2 rostering: SCONET's schools, years, structures, students, teachers and
guardians as the specification's records (``records.roster_records``), for the REST binding
(``api.oneroster``) and the CSV bundle. See docs/oneroster.md."""
