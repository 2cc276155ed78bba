"""What both databases (admin and télé-services) share: engines and session factories, the
schema migrations runner and the PostgreSQL roles the processes run as.

A package of its own, not ``db/``: importing ``db`` registers every admin model, and the
families portal opens the télé-services database without loading any of them. It imports
nothing of the project."""
