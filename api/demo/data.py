"""Static material of the demo académie: names, streets, birth countries, the shape of each kind of school.

Surnames and adult first names start from Faker's ``fr_FR`` lists, completed
with names common in the three départements of Créteil. Every MEF and subject
code named here is a real code shipped in ``db/reference``.
"""

from __future__ import annotations

from dataclasses import dataclass

from faker.providers.person.fr_FR import Provider as FrenchNames


def _split(names: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in names.split(","))


@dataclass(frozen=True)
class Origin:
    """A family background: where its names come from, and where a child born abroad was born."""

    weight: float
    surnames: tuple[str, ...]
    men: tuple[str, ...]
    women: tuple[str, ...]
    boys: tuple[str, ...]
    girls: tuple[str, ...]
    # (INSEE country code, city as written) for children born abroad
    birth_abroad: tuple[tuple[str, str], ...]
    abroad_rate: float


_BOYS = _split(
    "Lucas, Hugo, Louis, Gabriel, Raphaël, Arthur, Jules, Nathan, Enzo, Ethan, Noah, Léo, Tom, Théo, Maël, Sacha, Samuel, Mathis, Clément, Thomas, Alexandre, Maxime, Antoine, Paul, Axel, Evan, Kylian, Nolan, Matteo, Timothée, Baptiste, Victor, Oscar, Valentin, Quentin, Romain, Dylan, Kevin, Adrien, Noé"
)
_GIRLS = _split(
    "Emma, Léa, Chloé, Manon, Jade, Louise, Camille, Sarah, Zoé, Lola, Alice, Juliette, Léna, Clara, Maëlys, Anaïs, Océane, Lou, Eva, Romane, Margaux, Mathilde, Lucie, Jeanne, Ambre, Nina, Mélissa, Salomé, Elsa, Agathe, Lilou, Olivia, Julia, Rose, Anna, Mia, Laura, Pauline, Marie, Justine"
)
_FAKER_MEN = tuple(FrenchNames.first_names_male)
_FAKER_WOMEN = tuple(FrenchNames.first_names_female)
# Parents and staff were mostly born between 1965 and 1995.
_MODERN_MEN = _split(
    "Sébastien, Nicolas, Julien, Stéphane, Frédéric, Jérôme, Christophe, David, Olivier, Laurent, Cédric, Mickaël, Thierry, Vincent, Yannick, Fabrice, Grégory, Arnaud, Franck, Pascal, Guillaume, Romain, Mathieu, Jean-Baptiste, Benjamin, Anthony, Jonathan, Sylvain, Damien, Ludovic, Xavier, Emmanuel, Philippe, Éric, Patrick, Bruno, Hervé, Alexandre, Thomas, Florian"
)
_MODERN_WOMEN = _split(
    "Nathalie, Sandrine, Stéphanie, Céline, Aurélie, Virginie, Sophie, Émilie, Julie, Caroline, Isabelle, Valérie, Sonia, Hélène, Laetitia, Audrey, Élodie, Mélanie, Vanessa, Christelle, Anne-Sophie, Marion, Camille, Claire, Sarah, Laure, Karine, Magali, Delphine, Séverine, Cécile, Véronique, Corinne, Florence, Amandine, Jessica, Charlotte, Pauline, Marine, Alexandra"
)

ORIGINS: tuple[Origin, ...] = (
    Origin(
        weight=0.55,
        surnames=tuple(FrenchNames.last_names),
        men=_FAKER_MEN + _MODERN_MEN * 3,
        women=_FAKER_WOMEN + _MODERN_WOMEN * 3,
        boys=_BOYS,
        girls=_GIRLS,
        birth_abroad=(
            ("131", "Bruxelles"),
            ("132", "Londres"),
            ("134", "Madrid"),
            ("109", "Berlin"),
            ("127", "Milan"),
        ),
        abroad_rate=0.02,
    ),
    Origin(
        weight=0.18,
        surnames=_split(
            "Benali, Haddad, Belkacem, Benaïssa, Boukhris, Mansouri, Hamdi, Cherif, Rahmani, Saïdi, Brahimi, Meziane, Amrani, El Idrissi, Bouzid, Ait Ahmed, Benyahia, Khelifi, Ouali, Zerrouki"
        ),
        men=_split(
            "Karim, Rachid, Samir, Nordine, Farid, Ahmed, Hakim, Mourad, Khaled, Saïd, Mohamed, Djamel, Youcef, Mustapha"
        ),
        women=_split(
            "Nadia, Fatima, Samira, Karima, Leïla, Houria, Malika, Naïma, Souad, Zohra, Sabrina, Nawel, Amina, Yamina"
        ),
        boys=_split(
            "Adam, Rayan, Yanis, Ilyes, Amine, Younes, Wassim, Bilal, Sofiane, Mehdi, Anis, Yacine, Ismaël, Elias, Mohamed, Ayoub, Nassim"
        ),
        girls=_split(
            "Inès, Yasmine, Lina, Aya, Sarah, Nour, Imane, Rania, Assia, Kenza, Sirine, Amel, Chaïma, Hiba, Maryam, Meriem, Lyna"
        ),
        birth_abroad=(
            ("352", "Alger"),
            ("352", "Oran"),
            ("350", "Casablanca"),
            ("350", "Rabat"),
            ("351", "Tunis"),
            ("351", "Sfax"),
        ),
        abroad_rate=0.15,
    ),
    Origin(
        weight=0.12,
        surnames=_split(
            "Diallo, Traoré, Koné, Cissé, Camara, Diop, Ndiaye, Sylla, Touré, Keita, Coulibaly, Doumbia, Konaté, Bamba, Sow, Fofana, Sissoko, Kanté, Diakité, Diarra"
        ),
        men=_split(
            "Mamadou, Abdoulaye, Ousmane, Moussa, Seydou, Boubacar, Ibrahima, Lassana, Amadou, Bakary"
        ),
        women=_split(
            "Aminata, Fatoumata, Mariama, Djeneba, Kadiatou, Awa, Hawa, Oumou, Assa, Ramatoulaye"
        ),
        boys=_split(
            "Mamadou, Moussa, Ibrahim, Aboubacar, Issa, Souleymane, Adama, Ousmane, Noah, Nathan, Ismaël, Adam"
        ),
        girls=_split(
            "Fatoumata, Aïcha, Mariam, Hawa, Awa, Aminata, Assa, Binta, Kadidia, Maïmouna, Sarah, Inès"
        ),
        birth_abroad=(("335", "Bamako"), ("341", "Dakar"), ("326", "Abidjan")),
        abroad_rate=0.20,
    ),
    Origin(
        weight=0.08,
        surnames=_split(
            "Ferreira, Pereira, Rodrigues, Fernandes, Gonçalves, Dos Santos, Oliveira, Lopes, Da Costa, Martins, Carvalho, Sousa, Da Silva"
        ),
        men=_split("José, Manuel, Paulo, Carlos, António, Fernando, Luís, Jorge"),
        women=_split("Maria, Ana, Sandra, Paula, Cristina, Sónia, Carla, Isabel"),
        boys=_BOYS,
        girls=_GIRLS,
        birth_abroad=(("139", "Lisbonne"), ("139", "Porto")),
        abroad_rate=0.05,
    ),
    Origin(
        weight=0.04,
        surnames=_split(
            "Nguyen, Tran, Pham, Chen, Wang, Zhang, Lin, Huang, Sivakumar, Rajan, Selvarajah"
        ),
        men=_split("Minh, Thanh, Wei, Jun, Kumar, Tuan, Hao"),
        women=_split("Linh, Mei, Lan, Hui, Priya, Thi, Ying"),
        boys=(*_BOYS[:20], "Kevin", "Alan"),
        girls=(*_GIRLS[:20], "Jenny", "Émilie"),
        birth_abroad=(("216", "Wenzhou"), ("216", "Pékin"), ("235", "Jaffna")),
        abroad_rate=0.12,
    ),
    Origin(
        weight=0.03,
        surnames=_split(
            "Yilmaz, Kaya, Demir, Öztürk, Çelik, Popescu, Ionescu, Dumitru, Constantin, Stan"
        ),
        men=_split("Mehmet, Ali, Mustafa, Ion, Gheorghe, Hasan, Vasile"),
        women=_split("Ayşe, Fatma, Elena, Ioana, Emine, Mihaela"),
        boys=_split("Emir, Yusuf, Efe, Andrei, Luca, David, Adam, Ethan"),
        girls=_split("Elif, Zeynep, Ecrin, Maria, Ioana, Sara, Eva, Emma"),
        birth_abroad=(("208", "Istanbul"), ("114", "Bucarest")),
        abroad_rate=0.20,
    ),
)

STREETS = _split(
    "rue Victor Hugo, avenue Jean Jaurès, rue de la République, rue Gabriel Péri, avenue du Général de Gaulle, rue Paul Vaillant-Couturier, boulevard Émile Zola, rue Pasteur, rue Anatole France, allée des Tilleuls, rue des Écoles, place de la Mairie, rue Jules Guesde, avenue Henri Barbusse, rue Danton, rue Voltaire, rue de Paris, avenue de la Résistance, rue Marcel Cachin, rue Pierre Brossolette, boulevard de Stalingrad, rue Jean Moulin, rue du Moulin, allée des Acacias, rue de la Gare, chemin des Vignes, rue Roger Salengro, avenue Maurice Thorez, rue Édouard Vaillant, rue des Lilas, impasse des Peupliers, rue Lucie Aubrac, avenue Georges Clemenceau, rue Louis Pasteur, rue Carnot, boulevard Jean Mermoz, rue de la Liberté, rue Condorcet, square Léon Blum, rue Romain Rolland"
)
ADDRESS_COMPLEMENTS = (
    "Bâtiment A",
    "Bâtiment C",
    "Escalier B",
    "Appartement 12",
    "Appartement 47",
    "Résidence Les Tilleuls",
    "Résidence du Parc",
    "Porte 305",
    "Tour Verte, 8e étage",
)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.fr")

COLLEGE_NAMES = _split(
    "Jean Moulin, Louise Michel, Pablo Neruda, Jean Jaurès, Victor Hugo, Marie Curie, Paul Éluard, Jules Ferry, Henri Barbusse, Georges Politzer, Elsa Triolet, Gustave Courbet, Jacques Prévert, Albert Camus, Romain Rolland, Anne Frank, Lucie Aubrac, Georges Brassens, Pierre de Ronsard, Jean Vilar, Rosa Parks, Aimé Césaire, Simone Veil, Nelson Mandela, Camille Claudel, Françoise Dolto, Paul Langevin, Robert Doisneau, Olympe de Gouges, Gérard Philipe"
)
LYCEE_NAMES = _split(
    "Condorcet, Eugène Delacroix, Marcelin Berthelot, Jean Renoir, Voltaire, Léon Blum, Jacques Feyder, Flora Tristan, Albert Schweitzer, Henri Wallon, Frédéric Mistral, Gustave Eiffel, Évariste Galois, Camille Pissarro, Paul Robert, Louise Michel, Jean Jaurès, Marie Curie, Olympe de Gouges, Germaine Tillion"
)
PRIMARY_NAMES = _split(
    "Jules Ferry, Paul Bert, Jean Macé, Anatole France, Victor Hugo, Pasteur, Jean Zay, Joliot-Curie, Langevin-Wallon, Marcel Cachin, Danielle Casanova, Robespierre, Louis Aragon, Saint-Exupéry"
)
# Schools of other académies a student may arrive from: (département, city).
ELSEWHERE = (
    ("075", "Paris"),
    ("069", "Lyon"),
    ("013", "Marseille"),
    ("059", "Lille"),
    ("033", "Bordeaux"),
    ("031", "Toulouse"),
    ("092", "Nanterre"),
    ("095", "Cergy"),
)

# --- MEFs (real codes, see db/reference/mefs.csv) -------------------------------------------

MEF_6EME = "10010012110"
MEF_5EME = "10110001110"
MEF_4EME = "10210001110"
MEF_3EME = "10310019110"
MEF_2GT = "20010018110"
MEF_1G = "20110019110"
MEF_1S_SVT = "20111010110"
MEF_1S_SI = "20111011110"
MEF_1ES = "20112005110"
MEF_1STMG = "21131016110"
MEF_TS_SVT = "20211010110"
MEF_TS_SI = "20211011110"
MEF_TES = "20212005110"
MEF_TSTMG = "21231017110"
MEF_1BTS_MCO = "31131213210"
MEF_1BTS_MUC = "31131209210"
MEF_2BTS_MUC = "31131209220"


@dataclass(frozen=True)
class Level:
    """How divisions of a MEF are coded and labelled, and which option groups it shares."""

    prefix: str
    label: str
    group_level: str | None  # divisions with the same key share their LV2 and option groups
    two_digits: bool = False  # "601" rather than "1G1"


LEVELS: dict[str, Level] = {
    MEF_6EME: Level("6", "6e", "6", two_digits=True),
    MEF_5EME: Level("5", "5e", "5", two_digits=True),
    MEF_4EME: Level("4", "4e", "4", two_digits=True),
    MEF_3EME: Level("3", "3e", "3", two_digits=True),
    MEF_2GT: Level("2", "2nde", "2", two_digits=True),
    MEF_1G: Level("1G", "1re générale", "1"),
    MEF_1S_SVT: Level("1S", "1re S SVT", None),
    MEF_1S_SI: Level("1SI", "1re S SI", None),
    MEF_1ES: Level("1ES", "1re ES", None),
    MEF_1STMG: Level("1STMG", "1re STMG", "1"),
    MEF_TS_SVT: Level("TS", "Tle S SVT", "T"),
    MEF_TS_SI: Level("TSI", "Tle S SI", "T"),
    MEF_TES: Level("TES", "Tle ES", "T"),
    MEF_TSTMG: Level("TSTMG", "Tle STMG", "T"),
    MEF_1BTS_MCO: Level("BTS1MCO", "BTS MCO 1re année", None),
    MEF_1BTS_MUC: Level("BTS1MUC", "BTS MUC 1re année", None),
    MEF_2BTS_MUC: Level("BTS2MUC", "BTS MUC 2e année", None),
}

# The MEF a student on time followed the year before, within the same school.
PREVIOUS_MEF = {
    MEF_5EME: MEF_6EME,
    MEF_4EME: MEF_5EME,
    MEF_3EME: MEF_4EME,
    MEF_1G: MEF_2GT,
    MEF_1STMG: MEF_2GT,
    MEF_TS_SVT: MEF_1S_SVT,
    MEF_TS_SI: MEF_1S_SI,
    MEF_TES: MEF_1ES,
    MEF_TSTMG: MEF_1STMG,
    MEF_2BTS_MUC: MEF_1BTS_MUC,
}
# Where a first-year BTS student coming from a demo lycée was the year before.
TERMINALES = (MEF_TS_SVT, MEF_TES, MEF_TSTMG)

# Subjects (real codes, see db/reference/subjects.csv)
FRANCAIS = "020700"
LATIN = "020300"
ALLEMAND_LV1 = "030101"
ALLEMAND_LV2 = "030102"
ESPAGNOL_LV2 = "030602"
THEATRE = "278500"
CINEMA = "285200"
SPECIALITIES = (  # (subject, code stem, label, weight) of the 1re générale
    ("061300", "MAT", "mathématiques", 0.70),
    ("062300", "PC", "physique-chimie", 0.45),
    ("062900", "SVT", "SVT", 0.40),
    ("050700", "SES", "SES", 0.45),
    ("043900", "HGG", "HGGSP", 0.40),
    ("074700", "NSI", "NSI", 0.15),
)
COLLEGE_SUBJECTS = _split(
    "020700, 061300, 043700, 043800, 030201, 030102, 030602, 030101, 062300, 062900, 100100, 090100, 083200, 020300, 008400, 275700, 006600"
)
LYCEE_SUBJECTS = _split(
    "020700, 010300, 061300, 043700, 043800, 030201, 030102, 030602, 062300, 062900, 050700, 065300, 074600, 074700, 043900, 100100, 020300, 278500, 285200, 006600, 008400, 434500, 436700, 366800, 435500, 347200"
)
BTS_SUBJECTS = _split("006800, 383200, 347600, 347700, 347800, 347900, 030201")
