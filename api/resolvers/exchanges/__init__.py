"""The domain of exchanges: imports and exports of the national files (SIECLE, STS-WEB, the
académie's list of schools), their preview, application and history.

``runs`` records every file read or written and drives an import's preview and
application; the other modules turn records (``exchanges.records``) into the product's data
and back.
"""

# Registers every format an import reads, wherever the exchanges are used.
from api.resolvers.exchanges import registry as registry
