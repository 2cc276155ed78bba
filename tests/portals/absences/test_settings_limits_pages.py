"""/absences/parametres: a template or a logo over the server's limits is refused on the
page, in French, naming the limit."""

from __future__ import annotations

import html
import io

from PIL import Image

from tests.portals.conftest import csrf_of

URL = "/absences/parametres"
NESTED_LOOPS = (
    "{% set s = '" + "a" * 700 + "' %}"
    "{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}"
)


async def test_a_costly_template_is_refused_naming_the_limit(portal, world):
    await portal.login("cpe_a")
    refused = await portal.post_form(
        URL,
        f"{URL}/modele",
        {"code": "BOUCLE", "libelle": "Boucles", "canal": "letter", "texte": NESTED_LOOPS},
    )
    assert refused.status_code == 400
    assert (
        "Modèle refusé : le modèle dépasse 10\u202f000 tours de boucle ou appels."
        in html.unescape(refused.text)
    )


async def test_a_logo_too_large_in_pixels_is_refused_naming_the_limit(portal, world):
    await portal.login("cpe_a")
    buffer = io.BytesIO()
    Image.new("1", (8000, 1000), 1).save(buffer, format="PNG")
    form = await portal.get(URL)
    refused = await portal.http.post(
        f"{URL}/logo",
        data={"csrf_token": csrf_of(form.text)},
        files={"logo": ("logo.png", buffer.getvalue(), "image/png")},
    )
    assert refused.status_code == 400
    assert "Le logo mesure au plus 6000 pixels de côté" in html.unescape(refused.text)
    assert "8000 × 1000" in html.unescape(refused.text)
