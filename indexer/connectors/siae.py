"""Insertion par l'activité économique: the 2019 list of SIAE (ACI, EI, AI, ETTI) and of GEIQ.

Two connectors share this module:

* ``siae`` — ``2019_07_liste_siae.csv`` (ASP/DGEFP export kept by the "emplois de l'inclusion"),
  one row per *convention* (SIRET × mesure × département that signed it), plus the jobs offered
  per SIAE from ``2019_07_liste_siae_additional_data.csv`` (ROME code + appellation, up to 9);
* ``geiq`` — ``2019_11_21_export_bbd_geiq.csv``: groupements d'employeurs pour l'insertion et la
  qualification (jobs with training, in alternance).

Neither file has coordinates: a record is placed at the centre of its commune, found from its
postal code and commune name (see :func:`locate`); a record whose postal code and commune cannot
be reconciled with the reference geography is quarantined rather than put in the wrong place.

The helpers of this module (:func:`email_kind`, :func:`locate`, :func:`csv_records`) are also used
by the other connectors of the 2019–2024 administrative lists (France Travail, Aidants Connect,
conseillers numériques, annuaire Service-Public).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from functools import lru_cache
from typing import Iterable

from app.core.geo import Commune, departement_of_postcode, geography, name_key
from app.core.metiers import referentiel as rome_referentiel
from app.core.text import fold
from indexer.connectors.base import Connector
from indexer.records import Offer, RawRecord, RecordError, ServiceRecord, StructureRecord, UnreadableInput

# ---------------------------------------------------------------------------------------------
# Reading CSV files


def csv_records(connector: Connector, raw: bytes, required: Iterable[str],
                delimiters: str = ";,\t|") -> Iterable[RawRecord]:
    """Records of a CSV with a header, checking that it is the expected file at all.

    Raises UnreadableInput when the bytes are not text, have no separator, lack the expected
    columns or hold no data row (an empty list must not retire a whole source). Rows whose
    column count differs from the header's come as ``{"__error__": …}`` (see ``Connector.csv_rows``).
    """
    text = connector.decode(raw)
    delimiter = connector.sniff_delimiter(text, delimiters)
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    except (StopIteration, csv.Error) as exc:
        raise UnreadableInput(f"en-tête CSV illisible ({exc})") from None
    present = {column_key(h) for h in header}
    missing = [c for c in required if column_key(c) not in present]
    if missing:
        raise UnreadableInput(f"colonnes attendues absentes : {', '.join(missing)} — ce n'est pas le fichier "
                              f"« {connector.label} »")
    count = 0
    try:
        for line, row, raw_line in connector.csv_rows(text, delimiter):
            count += 1
            if "__error__" not in row:
                row = {column_key(k): v for k, v in row.items()}
            yield RawRecord(line, row, raw_line)
    except csv.Error as exc:
        raise UnreadableInput(f"CSV mal formé ({exc})") from None
    if not count:
        raise UnreadableInput("fichier CSV sans aucune ligne de données")


@lru_cache(maxsize=4096)
def column_key(name: str) -> str:
    """A header name folded to compare columns: 'Code Postal ' -> 'code postal'."""
    return re.sub(r"[^a-z0-9]+", " ", fold(name or "").lstrip("\ufeff")).strip()


def check_row(record: RawRecord) -> dict:
    """The row's fields, or RecordError for a row cut short or with shifted columns."""
    row = record.data
    if not isinstance(row, dict):
        raise RecordError("enregistrement illisible")
    if "__error__" in row:
        cells = row.get("__cells__") or []
        raise RecordError(f"colonnes décalées ou ligne tronquée : {row['__error__']} "
                          f"(début : {' | '.join(cells[:3])[:80]!r})")
    return row


def cell(row: dict, *names: str) -> str:
    """First non-empty value among columns (names folded like headers); '' if none."""
    for name in names:
        value = row.get(column_key(name))
        if value is not None:
            value = repair_text(value).strip()
            if value and value.upper() != "NULL":
                return value
    return ""


def repair_text(value: str) -> str:
    """Undo CP1252 punctuation read as Latin-1 (U+0092 -> ’, U+009C -> œ) and tidy spaces."""
    if _C1.search(value):
        value = _C1.sub(lambda m: bytes([ord(m.group())]).decode("cp1252", errors="replace"), value)
    return value.replace("\u00a0", " ")


_C1 = re.compile("[\x80-\x9f]")


def siret_of(value: str) -> str | None:
    """The 14-digit SIRET of '41071771400035' or '13002603200016.0' (a number exported as a float); else None."""
    text = (value or "").strip()
    text = re.sub(r"\.0+$", "", text)
    digits = re.sub(r"\D", "", text)
    return digits if len(digits) == 14 else None


# ---------------------------------------------------------------------------------------------
# Places


def locate(code_postal: str | None, commune: str | None, code_insee: str | None = None) -> tuple[Commune | None, str | None]:
    """The commune of an address without coordinates, and a note when a rule had to choose.

    Rules, in order:

    1. a code INSEE that exists and whose name agrees with ``commune`` (or no name given);
    2. the postal code and the commune name agree (an arrondissement when the postal code names one,
       "MARSEILLE 07" 13007; a CEDEX code is accepted within the commune's département);
    3. the commune was renamed or merged into one the postal code serves, whose name starts with the
       old one or shares its first word ("MANSLE" 16230 -> Mansle-les-Fontaines, "CHERBOURG OCTEVILLE"
       -> Cherbourg-en-Cotentin; for a CEDEX code, a name starting with it in the département:
       "ROMANS" 26105 -> Romans-sur-Isère);
    4. a code INSEE that exists, when the name matches nothing (its centre is used, noted);
    5. a name that is no commune at all under a postal code of a single commune: a lieu-dit of it
       ("passamainty" 97605 -> Mamoudzou, noted);
    6. a postal code alone, when no name is given: its most populous commune.

    A postal code and a name that contradict each other (``99999`` "Nulle-Part", ``10000``
    "Bourg-en-Bresse", ``29830`` "Saint-Brieuc") give ``None``: the caller quarantines the record
    rather than guess. The note (French) says which rule chose, for ``extra["corrections"]``.
    """
    geo = geography()
    cp = re.sub(r"\D", "", code_postal or "")
    if len(cp) == 4:
        cp = "0" + cp
    cp = cp[:5] if len(cp) >= 5 else ""
    name = re.sub(r"(?i)\bcedex\b.*$", "", commune or "").strip(" ,-")
    key = name_key(name) if name else ""
    by_code = geo.commune(code_insee.strip().zfill(5)) if code_insee and code_insee.strip() else None

    def named(c: Commune) -> bool:
        return key in {name_key(c.nom), name_key(c.nom_court or "")} or key in _former_keys().get(c.code_insee, ())

    if by_code and (not key or named(by_code)):
        return by_code, None
    if key:
        candidates = geo.by_postcode(cp) if cp else []
        found = [c for c in geo.by_name(name, cp or None) if c.code_parent is None]
        same = [c for c in found if c in candidates]
        if same:
            return same[0], None
        base = re.sub(r"\s+\d+(?:\s*(?:er|e|eme))?(?:\s+arrondissement)?$", "", key)
        arrondissements = [c for c in candidates if c.code_parent and (
            (found and c.code_parent == found[0].code_insee) or name_key(geo.communes[c.code_parent].nom) == base)]
        if arrondissements:  # "MARSEILLE 07" 13007, "Paris" 75019: the arrondissement of the postal code
            return arrondissements[0], None
        dep = departement_of_postcode(cp) if cp else None
        if found and (dep is None or found[0].code_departement == dep):
            if not cp or cp not in found[0].codes_postaux:
                return found[0], (f"code postal {cp} propre à l'acheminement (CEDEX) : commune {found[0].nom}"
                                  if cp else None)
            return found[0], None
        # renamed or merged communes the reference geography does not know by their old name
        pool = candidates or ([c for c in geo.departement_communes(dep)] if dep else [])
        longer = [c for c in pool if _prefix_match(key, c)]
        if not longer and candidates:
            longer = _sharing_first_word(key, candidates)
        if longer:
            return longer[0], f"« {name} » rattachée à {longer[0].nom} (commune renommée ou fusionnée)"
        if by_code:
            return by_code, f"« {name} » introuvable : centre de la commune {by_code.nom} (code INSEE)"
        if not found and len(candidates) == 1:
            # a lieu-dit ("passamainty" 97605, "PITON SAINT-LEU" 97424): the postal code's only commune
            return candidates[0], f"« {name} » (lieu-dit) : {candidates[0].nom}, seule commune du code postal {cp}"
        return None, None
    if by_code:
        return by_code, None
    candidates = geo.by_postcode(cp) if cp else []
    if candidates:
        note = None if len(candidates) == 1 else f"code postal {cp} seul : commune principale {candidates[0].nom}"
        return candidates[0], note
    return None, None


@lru_cache(maxsize=1)
def _former_keys() -> dict[str, frozenset[str]]:
    """Current code INSEE -> name keys of the former communes merged into it."""
    geo = geography()
    names = geo.__dict__.get("_former_nom") or {}
    out: dict[str, set[str]] = {}
    for old, new in geo.former.items():
        if old in names:
            out.setdefault(new, set()).add(name_key(names[old]))
    return {k: frozenset(v) for k, v in out.items()}


def _prefix_match(key: str, commune: Commune) -> bool:
    other = name_key(commune.nom)
    return (other.startswith(key + " ") or key.startswith(other + " ")
            or other.replace(" ", "") == key.replace(" ", ""))


_LINK_WORDS = frozenset("saint sainte sur sous les lès des aux en et de du la le cedex".split())


def _sharing_first_word(key: str, candidates: list[Commune]) -> list[Commune]:
    """Communes of the postal code that bear the name's first significant word (most shared first)."""
    words = [w for w in key.split() if len(w) >= 4 and w not in _LINK_WORDS]
    if not words:
        return []
    scored = []
    for c in candidates:
        other = set(name_key(c.nom).split())
        if words[0] in other:
            scored.append((-len(other & set(words)), -c.population, c))
    return [c for *_, c in sorted(scored, key=lambda t: t[:2])]


#: overseas collectivités outside the reference geography (COG communes of France and the DROM)
_OUTSIDE_COG = re.compile(r"^(975|977|978|98|97150|97133)")


def place_or_quarantine(code_postal: str | None, commune: str | None, code_insee: str | None = None) -> tuple[Commune, str | None]:
    """:func:`locate`, or RecordError (the record goes to the quarantine) when it finds nothing."""
    found, note = locate(code_postal, commune, code_insee)
    if found is None:
        unplaceable(code_postal, commune, code_insee)
    return found, note


def unplaceable(code_postal: str | None, commune: str | None, code_insee: str | None = None):
    """Raise the RecordError of a record that cannot be placed, saying why."""
    if any(_OUTSIDE_COG.match(re.sub(r"\s", "", c or "")) for c in (code_postal, code_insee)):
        raise RecordError(f"collectivité d'outre-mer hors du référentiel géographique (Saint-Pierre-et-Miquelon, "
                          f"Saint-Martin, Saint-Barthélemy, Pacifique) : {code_postal or code_insee} {commune or ''}".strip())
    what = ", ".join(x for x in (f"code postal {code_postal!r}" if code_postal else "",
                                 f"commune {commune!r}" if commune else "",
                                 f"code INSEE {code_insee!r}" if code_insee else "") if x)
    raise RecordError(f"commune introuvable ou incohérente : {what or 'aucune adresse'}")


def postcode_for(code_postal: str | None, commune: Commune) -> str | None:
    """The record's postal code if it belongs to the commune's département, else the commune's own."""
    cp = re.sub(r"\D", "", code_postal or "")
    if len(cp) == 4:
        cp = "0" + cp
    if len(cp) == 5 and (cp in commune.codes_postaux or departement_of_postcode(cp) == commune.code_departement):
        return cp
    return commune.codes_postaux[0] if commune.codes_postaux else None


def departement_code(value: str) -> str | None:
    """'011' -> '11', '02A' -> '2A', '974' -> '974', '59V' -> '59' (the list's own sub-codes)."""
    code = (value or "").strip().upper()
    m = re.fullmatch(r"0?(\d{2}|2[AB])[A-Z]?", code)
    if m:
        return m.group(1)
    if re.fullmatch(r"97\d", code):
        return code
    return None


# ---------------------------------------------------------------------------------------------
# E-mails: institutional mailboxes are kept, named staff addresses never

#: common French given names (folded). A mailbox holding one is a person's, unless the structure
#: itself bears the word ("ASSOC ADEL" -> reseau.adel@…).
FIRST_NAMES = frozenset("""
adeline adrien agathe agnes aicha alain alexandra alexandre alexis alice aline amandine amelie anais andre andrea
angelique anne annabelle annie anthony antoine arnaud audrey aurelie aurelien baptiste barbara beatrice benedicte
benjamin benoit bernadette bernard brigitte bruno camille carine carole caroline catherine cecile celine chantal
charles charlene charlotte christelle christian christiane christine christophe claude claudine clemence colette
coralie corinne cyril cyrille damien daniel daniele danielle david delphine denis denise didier dominique dorothee
edith edouard elisa elise elisabeth elodie eloise emeline emilie emma emmanuel emmanuelle eric estelle eva evelyne
fabien fabienne fabrice fanny fatima florence florent florian francine francis francoise franck frederic
frederique gabrielle gael gaelle genevieve geoffrey georges gerald gerard germaine ghislaine gilbert gilles
ginette gisele guillaume guy guylaine helene henri herve hugo hugues ingrid irene isabelle jacqueline jacques
jean jeanne jennifer jennyfer jeremie jeremy jessica jocelyne joel joelle johanna jonathan jordan josiane joseph
josette julia julie julien juliette justine karine karim kevin laetitia laura laure laurence laurent lea leila
lionel lise lucas lucie lucien ludivine ludovic lydie magali manon marc marcel marie marine marion marjorie
marlene martine mathieu mathilde matthieu maud maurice maxime melanie melissa melvin michel michele micheline
mickael mireille monique morgane muriel murielle myriam nadege nadia nadine nathalie nelly nicolas nicole noemie
odile olivia olivier pascal pascale patrice patricia patrick paul pauline perrine philippe pierre quentin
rachel raphael raymond regine remi remy renaud richard robert roger roland romain sabine sabrina samuel sandra
sandrine sarah sebastien severine simon simone solene sonia sophie stephane stephanie suzanne sylvain sylvia
sylvie thierry thomas tiphaine valentin valerie vanessa veronique victor vincent virginie xavier yann yannick
yves yvette yvonne zoe axel bastien blandine brice cedric chloe clara coline diane dylan elsa emeric enzo erwan
faustine flavie francois gaetan gaetane geraldine gregory gwenaelle gwendoline helena ines jasmine jerome jessy
josephine karima katia kelly laetitia lola lorene loic louise lucile lucille mael maelle manuel manuela margaux
marianne marielle marina marius martial matthias maxence melodie mohamed morgan naima nathan noel oceane pamela
priscilla rachid rebecca regis rodolphe salome samia samira sandy serge soizic sylvaine tanguy teddy theo
timothee tristan valery vivien wendy william yasmine yoann yohann yvan jean-pierre jeanpierre jeanmarc
jeanfrancois mariepierre marieclaire annesophie
""".split())
#: given names that are also common words or place names: never matched inside a longer word.
_NOT_AFFIX = frozenset({"pierre", "claude", "marine", "laure", "lise", "rose", "maud", "jean", "paul", "marc",
                        "denis", "gael", "guy", "simon", "victor", "eva", "emma", "lea", "yann", "remi", "zoe",
                        "anne", "aline", "alice", "elise", "sarah", "karim", "lucas", "hugo", "regine"})
_AFFIX_NAMES = tuple(sorted((n for n in FIRST_NAMES if len(n) >= 4 and n not in _NOT_AFFIX), key=len, reverse=True))
_AFFIX_START = re.compile("(?:" + "|".join(_AFFIX_NAMES) + ")")
_AFFIX_END = re.compile("(?:" + "|".join(n for n in _AFFIX_NAMES if len(n) >= 5) + ")$")
#: word stems that name a function or an activity, not a person (matched inside the mailbox)
_FUNCTION_STEMS = re.compile(
    r"(compta|gestion|siege|tresor|presiden|coordinat|chantier|atelier|jardin|recycl|ressourc|regie|boutique|"
    r"friperie|magasin|restau|cuisine|entretien|menage|nettoyage|textile|garage|epicerie|environnement|"
    r"interim|travail|emploi|service|courrier|commercial|factur|info|renseign|planning|entreprise|jeunesse|"
    r"senior|droit|justice|adjoint|administra|secretar|direct|accueil|contact|recrut|candidat|insert|social|"
    r"mairie|commun|agglo|depart|region|prefecture|antenne|permanence|relais|point|maison|espace|centre|"
    r"bureau|reseau|equipe|hello|bonjour|formation|cyber|numerique|handi|habitat|logement|famille|jeune|"
    r"sante|solidar|plateforme|association|assoc|mediation|orientation|animation|benevol|chambre|agence|"
    r"conseil|general|client|delegation|guichet|public|usager|communication|assist|repit|aidant|habiter|"
    r"renovation|permanen|juridique|avocat|tribunal|greffe|sieg|locale|territo|hopital|ehpad|residence|"
    r"alzheimer|clinique|pharma|medic|sanitaire|educat|ecole|college|lycee|universit|etudiant|scolar|"
    r"biblio|mediatheque|culture|sport|loisir|tourisme|office|ressource|interm|multi|proxi|mobil|cidf|"
    r"cdiff|cediff|ideff|standard|courriel|metropole|littoral|pays|vallee|canton)")
#: short words and acronyms that name a function, matched only as whole words of the mailbox
_FUNCTION_TOKENS = frozenset(
    "aci ei ai etti eiti geiq siae ml cio pmi clic cidf cidff adil anah greta cci cma mdph mds msap caf msa cpam "
    "ccas cias udaf mjc pij bij cij crij epn rdv cdad pole asso velo aines rh drh paie fs cip plie pae daf dg "
    "ville gouv france devis stage atelier tri compta treso admin sec dir ddt ddtm ddcs ddcspp dreal drihl dde "
    "dr dt ud ut com act pfr par psr aj cfpa pls ars cg cd crt cr ce cfa cfppa mfr cap pe ape spip pjj "
    "ase mde mdd mdph ald pae sae".split())
_WEBMAIL = frozenset("orange wanadoo gmail hotmail yahoo free laposte sfr outlook live neuf bbox club internet "
                     "numericable cegetel aol icloud msn voila nordnet alice aliceadsl ymail gmx mail com net "
                     "org fr eu".split())
_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


def _functional(word: str) -> bool:
    return word in _FUNCTION_TOKENS or bool(_FUNCTION_STEMS.search(word))


def email_kind(value: str | None, *context: str | None) -> str:
    """'vide', 'invalide', 'institutionnelle', 'personnelle' or 'incertaine'.

    ``context`` is what the mailbox may legitimately be named after: the structure's name, its
    commune, its address. Rules (stricter than ``normalise.public_email``, which still applies):

    * a given name as a word of the mailbox (laurence@…, emploi-partage.barbara.x@…), glued to
      another word (severinemberna@…, henonmathieu@…) or to an initial (brunob.x@…) -> personnelle,
      unless the structure itself bears that word (reseau.adel@… for "ASSOC ADEL");
    * an initial then a word (h.marty@…, l.bouvin.ea2i@…) -> personnelle;
    * a function or activity word, digits, the structure's name, initials or commune, or the mail
      domain itself (tremplin@tremplin42.fr) -> institutionnelle;
    * anything else (one unknown word: mburnet@…, prumeau@…) -> incertaine, treated as personal:
      a directory can lose a mailbox, it must not publish a person's.
    """
    text = (value or "").strip().strip("<>").strip()
    if not text:
        return "vide"
    email = text.lower()
    if not _EMAIL_RE.match(email):
        return "invalide"
    local, domain = email.split("@", 1)
    words = [w for w in re.split(r"[._+\-]+", local) if w]
    alpha = [re.sub(r"\d+", "", w) for w in words]
    ctx_text = " ".join(fold(c) for c in context if c)
    ctx_words = {w for w in re.findall(r"[a-z]+", ctx_text) if len(w) >= 3}
    ctx_glued = re.sub(r"[^a-z]", "", ctx_text)
    initials = "".join(w[0] for w in re.findall(r"[a-z0-9]+", ctx_text))
    domain_words = {w for w in re.split(r"[.\-]+", domain) if len(w) >= 3} - _WEBMAIL

    def named_after(word: str) -> bool:
        """The structure, its place or its domain bears this word."""
        return len(word) >= 3 and (word in ctx_words or (len(word) >= 4 and word in ctx_glued)
                                   or any(word in d for d in domain_words))

    def related(word: str) -> bool:
        """Looser: the word contains or is contained in the structure's words, initials or domain."""
        return len(word) >= 3 and (named_after(word) or word in initials
                                   or any(len(d) >= 4 and d in word for d in domain_words)
                                   or any(len(c) >= 4 and c in word for c in ctx_words))

    if len(alpha) > 1 and _is_commune(local):
        return "institutionnelle"  # "sainte-marie@…", "saint.paul@…": a commune, not a person
    for word in alpha:
        if word in FIRST_NAMES and not named_after(word):
            return "personnelle"
        if len(word) < 5 or _is_commune(word):
            continue
        if not (_AFFIX_START.match(word) or _AFFIX_END.search(word)):
            continue
        for name in _AFFIX_NAMES:
            if word.startswith(name):
                rest = word[len(name):]
                if (len(rest) <= 2 or (len(name) >= 5 and not _functional(rest) and not named_after(rest))) \
                        and not named_after(name):
                    return "personnelle"
            elif len(name) >= 5 and word.endswith(name):
                rest = word[: -len(name)]
                if len(rest) >= 3 and rest not in {"saint", "sainte"} and not _functional(rest) \
                        and not named_after(rest) and not named_after(name):
                    return "personnelle"
    for i, word in enumerate(alpha[:-1]):
        nxt = alpha[i + 1]
        if len(word) == 1 and len(nxt) >= 3 and not _functional(nxt) and not named_after(nxt):
            return "personnelle"
    # a long word that is neither a function, the structure's own name nor a place: a surname,
    # most likely (cdreumont.hortibat@…, msimonin.asso.declic@…, yaiciali1@…)
    if any(len(w) >= 5 and not _functional(w) and not related(w) and not _is_commune(w) for w in alpha):
        return "incertaine"
    if any(re.search(r"\d", w) for w in words):
        return "institutionnelle"
    if any(_functional(w) for w in alpha) or _is_commune(local):
        return "institutionnelle"
    if any(related(w) or _is_commune(w) for w in alpha):
        return "institutionnelle"
    return "incertaine"


def _is_commune(word: str) -> bool:
    """A commune, département or région name ("antibes", "saint.paul", "aisne", "normandie")."""
    key = name_key(word.replace(".", " ").replace("_", " "))
    return len(key) >= 4 and (key in geography()._by_name or key in _area_keys())


@lru_cache(maxsize=1)
def _area_keys() -> frozenset[str]:
    geo = geography()
    keys = {name_key(d.nom) for d in geo.departements.values()} | {name_key(r) for r in geo.regions.values()}
    return frozenset(k for k in keys | {k.replace(" ", "") for k in keys} if k)


def institutional_email(value: str | None, *context: str | None) -> str | None:
    """The mailbox if :func:`email_kind` says it is the structure's own, else None."""
    if email_kind(value, *context) == "institutionnelle":
        return (value or "").strip().strip("<>").strip().lower()
    return None


# ---------------------------------------------------------------------------------------------
# Nomenclatures

#: NAF rév. 2 labels (INSEE) of the activities most frequent among SIAE and GEIQ; others show their code.
NAF = {
    "0113Z": "Culture de légumes, de melons, de racines et de tubercules",
    "0161Z": "Activités de soutien aux cultures",
    "0210Z": "Sylviculture et autres activités forestières",
    "1071C": "Boulangerie et boulangerie-pâtisserie",
    "3811Z": "Collecte des déchets non dangereux",
    "3832Z": "Récupération de déchets triés",
    "3900Z": "Dépollution et autres services de gestion des déchets",
    "4120B": "Construction d'autres bâtiments",
    "4311Z": "Travaux de démolition",
    "4321A": "Travaux d'installation électrique dans tous locaux",
    "4332A": "Travaux de menuiserie bois et PVC",
    "4334Z": "Travaux de peinture et vitrerie",
    "4399C": "Travaux de maçonnerie générale et gros œuvre de bâtiment",
    "4520A": "Entretien et réparation de véhicules automobiles légers",
    "4779Z": "Commerce de détail de biens d'occasion en magasin",
    "4941B": "Transports routiers de fret de proximité",
    "4942Z": "Services de déménagement",
    "5510Z": "Hôtels et hébergement similaire",
    "5590Z": "Autres hébergements",
    "5610A": "Restauration traditionnelle",
    "5621Z": "Services des traiteurs",
    "7010Z": "Activités des sièges sociaux",
    "7810Z": "Activités des agences de placement de main-d'œuvre",
    "7820Z": "Activités des agences de travail temporaire",
    "7830Z": "Autre mise à disposition de ressources humaines",
    "7990Z": "Autres services de réservation et activités liées",
    "8121Z": "Nettoyage courant des bâtiments",
    "8122Z": "Autres activités de nettoyage des bâtiments et nettoyage industriel",
    "8130Z": "Services d'aménagement paysager",
    "8299Z": "Autres activités de soutien aux entreprises n.c.a.",
    "8411Z": "Administration publique générale",
    "8413Z": "Administration publique (tutelle) des activités économiques",
    "8559A": "Formation continue d'adultes",
    "8559B": "Autres enseignements",
    "8610Z": "Activités hospitalières",
    "8790A": "Hébergement social pour enfants en difficultés",
    "8790B": "Hébergement social pour adultes et familles en difficultés et autre hébergement social",
    "8810A": "Aide à domicile",
    "8810B": "Accueil ou accompagnement sans hébergement d'adultes handicapés ou de personnes âgées",
    "8810C": "Aide par le travail",
    "8891A": "Accueil de jeunes enfants",
    "8899A": "Autre accueil ou accompagnement sans hébergement d'enfants et d'adolescents",
    "8899B": "Action sociale sans hébergement n.c.a.",
    "9002Z": "Activités de soutien au spectacle vivant",
    "9104Z": "Gestion des jardins botaniques et zoologiques et des réserves naturelles",
    "9329Z": "Autres activités récréatives et de loisirs",
    "9411Z": "Activités des organisations patronales et consulaires",
    "9499Z": "Autres organisations fonctionnant par adhésion volontaire",
    "9522Z": "Réparation d'appareils électroménagers et d'équipements pour la maison et le jardin",
    "9601A": "Blanchisserie-teinturerie de gros",
    "9601B": "Blanchisserie-teinturerie de détail",
    "9609Z": "Autres services personnels n.c.a.",
}


#: NAF activities that say which jobs an SIAE (its workers in insertion) does; generic ones (8899B action
#: sociale, 9499Z associations, 7830Z/7820Z mise à disposition, 8411Z communes…) say nothing and are absent.
#: Values are ROME v3 fiches or domaines (docs/metiers.md).
NAF_ROME = {
    "0113Z": ("A1414",), "0161Z": ("A1401", "A1402"), "0210Z": ("A1205",), "0240Z": ("A1201", "A1205"),
    "1071A": ("D1102",), "1071C": ("D1102",), "3811Z": ("K2303",), "3821Z": ("K2304",), "3831Z": ("K2304",),
    "3832Z": ("K2304",), "4120A": ("F1703", "F1704"), "4120B": ("F1703", "F1704"), "4311Z": ("F1704",),
    "4321A": ("F1602",), "4332A": ("F1607",), "4332B": ("F1607",), "4333Z": ("F1608", "F1609"),
    "4334Z": ("F1606",), "4339Z": ("F16",), "4399C": ("F1703",), "4520A": ("I1604",), "4779Z": ("D1201",),
    "4941A": ("N4101",), "4941B": ("N4105",), "4942Z": ("N1102",), "5210B": ("N1103",),
    "5510Z": ("G1501", "G1703"), "5610A": ("G1602", "G1803"), "5610C": ("G1603",), "5621Z": ("G1602", "D1103"),
    "5629B": ("G1603",), "8121Z": ("K2204",), "8122Z": ("K2204", "K2202"), "8129B": ("K2204", "K2303"),
    "8130Z": ("A1203",), "8810A": ("K1302", "K1304"), "9104Z": ("A1202",), "9522Z": ("I1402",),
    "9601A": ("K2201", "D1205"), "9601B": ("K2201", "D1205"),
}


def naf_text(code: str) -> str | None:
    code = re.sub(r"[^0-9A-Z]", "", (code or "").upper())
    if not code:
        return None
    label = NAF.get(code)
    return f"{label} (code NAF {code})" if label else f"code NAF {code}"


# ---------------------------------------------------------------------------------------------
# SIAE

#: mesure -> (full name, what it offers, v1 réseau porteur)
MESURES = {
    "ACI": ("Atelier et chantier d'insertion",
            "Un atelier et chantier d'insertion (ACI) embauche en contrat à durée déterminée d'insertion (CDDI) des "
            "personnes très éloignées de l'emploi sur des activités d'utilité sociale, et les accompagne : levée des "
            "freins (logement, mobilité, santé), formation, construction du projet professionnel.", "aci"),
    "EI": ("Entreprise d'insertion",
           "Une entreprise d'insertion (EI) produit des biens et des services sur le marché et embauche en CDDI des "
           "personnes éloignées de l'emploi, avec un accompagnement vers un emploi durable.", "ei"),
    "AI": ("Association intermédiaire",
           "Une association intermédiaire (AI) embauche des personnes éloignées de l'emploi et les met à disposition "
           "de particuliers, d'associations, de collectivités ou d'entreprises pour des missions de travail, avec un "
           "accompagnement social et professionnel.", "ai"),
    "ETTI": ("Entreprise de travail temporaire d'insertion",
             "Une entreprise de travail temporaire d'insertion (ETTI) propose des missions d'intérim à des personnes "
             "éloignées de l'emploi, avec un accompagnement social et professionnel tout au long des missions.", "etti"),
    "EITI": ("Entreprise d'insertion par le travail indépendant",
             "Une entreprise d'insertion par le travail indépendant (EITI) accompagne des personnes éloignées de "
             "l'emploi qui exercent une activité professionnelle indépendante.", "eiti"),
}
#: every SIAE: a paid job (with a contract), support to find the next one, a real work situation.
SIAE_THEMATIQUES = (
    "trouver-un-emploi--repondre-a-des-offres-demploi",
    "trouver-un-emploi--faire-des-candidatures-spontanees",
    "preparer-sa-candidature--valoriser-ses-competences",
    "choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite",
)
#: ACI are the first step for people furthest from work: remobilisation is part of their mission.
ACI_THEMATIQUES = ("remobilisation--bien-etre-confiance-en-soi", "remobilisation--lien-social")
#: who an SIAE may hire (eligibility to the IAE): the two v1 publics that always apply.
SIAE_PUBLICS = ("demandeurs-emploi", "beneficiaires-des-minimas-sociaux")
SIAE_PUBLICS_PRECISIONS = (
    "Personnes sans emploi rencontrant des difficultés sociales et professionnelles particulières : bénéficiaires "
    "du RSA ou de l'ASS, demandeurs d'emploi de longue durée, jeunes de moins de 26 ans peu qualifiés, travailleurs "
    "handicapés, seniors, résidents des quartiers prioritaires…")
SIAE_CONDITIONS = (
    "Embauche avec un agrément IAE (aujourd'hui « PASS IAE »), délivré par France Travail (ex-Pôle emploi) ou un "
    "prescripteur habilité (Mission locale, Cap emploi, département…) ; la structure peut aussi recevoir des "
    "candidatures spontanées.")
SIAE_DATE = dt.date(2019, 7, 1)
GEIQ_DATE = dt.date(2019, 11, 21)


class SiaeConnector(Connector):
    name = "siae"
    label = "Structures de l'insertion par l'activité économique (liste 2019)"
    licence = ("Données administratives ASP/DGEFP publiées dans le dépôt AGPL-3.0 gip-inclusion/les-emplois "
               "(licence des données à confirmer)")
    format = "csv (;) — liste des SIAE conventionnées + métiers par SIAE"
    origin = ("https://github.com/gip-inclusion/les-emplois — itou/siae/management/commands/data/2019_07_liste_siae.csv "
              "@ ffa3de1f7795a52eb0f82e0b1134a7bb452b3ff0")
    leviers = ("emploi", "immersion")
    # the jobs file's rows are attached to the services of the main list (see fetch)
    default_files = ("siae/2019_07_liste_siae_additional_data.csv", "siae/2019_07_liste_siae.csv")

    MAIN_COLUMNS = ("MESURE", "CODE_DEPARTEMENT", "SIRET", "DENOMINATION_SOCIALE", "CODE_POSTAL", "COMMUNE",
                    "CODE_POST_COM", "LIB_COM", "MAIL_SIAE")
    JOBS_COLUMNS = ("MESURE", "SIRET", "ROME", "APPELATION")

    def __init__(self) -> None:
        self._metiers: dict[tuple[str, str], list[dict]] = {}
        self._sites: dict[str, str] = {}
        self._mesures: dict[str, set[str]] = {}

    def fetch(self, path) -> bytes:
        """Bytes of one input; the jobs file is read as soon as it is fetched (the run fetches every
        input before parsing any), so the jobs reach the SIAE whatever the order of the files."""
        raw = super().fetch(path)
        try:
            self._jobs_records(raw)
        except UnreadableInput:
            pass  # parse() reports it
        return raw

    @staticmethod
    def _is_jobs_file(raw: bytes) -> bool:
        head = raw[:4000].decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
        return bool(head) and column_key("ROME") in {column_key(h) for h in re.split(r"[;,\t|]", head[0])}

    def _jobs_records(self, raw: bytes) -> list[RawRecord] | None:
        if not self._is_jobs_file(raw):
            return None
        records = list(csv_records(self, raw, self.JOBS_COLUMNS))
        for record in records:
            if "__error__" not in record.data:
                record.data["__metiers__"] = True
                self._add_jobs(record.data)
        return records

    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        jobs = self._jobs_records(raw)
        if jobs is not None:
            return jobs
        records = list(csv_records(self, raw, self.MAIN_COLUMNS))
        for record in records:
            row = record.data
            if "__error__" not in row:
                siret = siret_of(cell(row, "SIRET"))
                mesure = cell(row, "MESURE").upper()
                if siret and mesure in MESURES:
                    self._mesures.setdefault(siret, set()).add(mesure)
        return records

    @staticmethod
    def mail_context(row: dict) -> tuple[str, ...]:
        """What the SIAE's mailbox may be named after (see :func:`email_kind`)."""
        return (cell(row, "DENOMINATION_SOCIALE"), cell(row, "LIB_COM"), cell(row, "COMMUNE"),
                cell(row, "NUM_RUE"), cell(row, "NOM_RUE"))

    def _add_jobs(self, row: dict) -> None:
        siret = siret_of(cell(row, "SIRET"))
        if not siret:
            return
        jobs = []
        for i in ("", " 2", " 3", " 4", " 5", " 6", " 7", " 8", " 9"):
            rome, appellation = cell(row, f"ROME{i}").upper(), cell(row, f"APPELATION{i}")
            if re.fullmatch(r"[A-N]\d{4}", rome) or appellation:
                jobs.append({"rome": rome if re.fullmatch(r"[A-N]\d{4}", rome) else None,
                             "appellation": appellation or None})
        self._metiers[(siret, cell(row, "MESURE").upper())] = jobs
        site = cell(row, "SITE WEB")
        if site:
            self._sites[siret] = site

    def to_offer(self, record: RawRecord) -> Offer | None:
        row = check_row(record)
        if row.get("__metiers__"):
            return None  # jobs of an SIAE: attached to its service when the main list is read
        mesure = cell(row, "MESURE").upper()
        if mesure not in MESURES:
            raise RecordError(f"mesure inconnue : {mesure!r} (attendu ACI, EI, AI, ETTI ou EITI)")
        siret = siret_of(cell(row, "SIRET"))
        if not siret:
            raise RecordError(f"SIRET absent ou invalide : {cell(row, 'SIRET')!r}")
        nom = cell(row, "DENOMINATION_SOCIALE")
        if len(nom) < 2:
            raise RecordError("dénomination sociale absente")
        cp = cell(row, "CODE_POST_COM", "CODE_POSTAL")
        commune_nom = cell(row, "LIB_COM", "COMMUNE")
        try:
            commune, note = place_or_quarantine(cp, commune_nom)
        except RecordError:
            # the establishment's own postal code and commune, when the mailing ones fail
            commune, note = place_or_quarantine(cell(row, "CODE_POSTAL"), cell(row, "COMMUNE"))
        dep_raw = cell(row, "CODE_DEPARTEMENT")
        dep = departement_code(dep_raw)
        geo = geography()
        dep_nom = geo.departements[dep].nom if dep in geo.departements else cell(row, "LIBELLE_DPT").title()
        adresse = " ".join(x for x in (cell(row, "NUM_RUE"), cell(row, "NOM_RUE")) if x) or None
        courriel = institutional_email(cell(row, "MAIL_SIAE"), *self.mail_context(row))
        full, about, reseau = MESURES[mesure]
        naf = naf_text(cell(row, "CODE_NAF2"))
        nature = cell(row, "NATURE_JURIDIQUE").rstrip()
        jobs = self._metiers.get((siret, mesure)) or []
        extra: dict = {"mesure": mesure, "departement_conventionnement": dep or dep_raw}
        if cell(row, "CODE_NAF2"):
            extra["code_naf"] = cell(row, "CODE_NAF2").upper()
        if jobs:
            extra["metiers"] = jobs
            extra["mots_cles"] = sorted({w for j in jobs for w in (j["rome"], j["appellation"]) if w})
        # métiers of the structure: those it declared (jobs file), else what its NAF activity implies
        codes_rome = rome_referentiel().known([j["rome"] for j in jobs if j["rome"]])
        origine = "métiers déclarés par la structure" if codes_rome else None
        if not codes_rome:
            codes_rome = rome_referentiel().known(NAF_ROME.get(extra.get("code_naf") or "", ()))
            origine = "activité de la structure (code NAF)" if codes_rome else None
        if codes_rome:
            extra["codes_rome"] = codes_rome
            extra["codes_rome_origine"] = origine
        lines = [about]
        if jobs:
            lines.append("Métiers proposés : " + " ; ".join(
                f"{j['appellation'] or ''} ({j['rome']})".strip() if j["rome"] else j["appellation"] for j in jobs) + ".")
        if naf:
            lines.append(f"Activité de la structure : {naf}.")
        if nature:
            lines.append(f"Forme juridique : {nature}.")
        if dep and commune.code_departement != dep:
            lines.append(f"Conventionnée pour le département {dep_nom} ({dep}) ; siège à {commune.nom}.")
        elif dep:
            lines.append(f"Conventionnée pour le département {dep_nom} ({dep}).")
        lines.append("Source : liste des SIAE conventionnées de juillet 2019 (ASP/DGEFP) — informations à vérifier "
                     "auprès de la structure.")
        thematiques = list(SIAE_THEMATIQUES) + (list(ACI_THEMATIQUES) if mesure == "ACI" else [])
        telephone = cell(row, "TELEPHONE") or None
        structure = StructureRecord(
            local_id=siret, nom=nom, siret=siret, date_maj=SIAE_DATE,
            description=(f"Structure de l'insertion par l'activité économique (SIAE) : "
                         f"{', '.join(MESURES[m][0].lower() for m in sorted(self._mesures.get(siret, {mesure})))}."
                         + (f" {naf[0].upper()}{naf[1:]}." if naf else "")),
            adresse=adresse, commune=commune.nom, code_postal=postcode_for(cp, commune),
            code_insee=commune.code_insee, telephone=telephone, courriel=courriel,
            site_web=self._sites.get(siret),
            reseaux_porteurs=sorted(MESURES[m][2] for m in self._mesures.get(siret, {mesure})),
            extra={k: v for k, v in (("nature_juridique", nature), ("corrections", [note] if note else None)) if v}
            or None,
        )
        modes = ["telephoner"] if telephone else []
        if courriel:
            modes.append("envoyer-un-courriel")
        service = ServiceRecord(
            local_id=f"{siret}-{mesure.lower()}-{dep_raw.lower() or 'x'}",
            nom=f"Emploi en insertion ({mesure})",
            description="\n\n".join(lines), date_maj=SIAE_DATE, type="accompagnement",
            thematiques=thematiques, frais="gratuit", publics=list(SIAE_PUBLICS),
            publics_precisions=SIAE_PUBLICS_PRECISIONS, conditions_acces=SIAE_CONDITIONS,
            modes_accueil=["en-presentiel"], modes_mobilisation=modes or None,
            mobilisable_par=["professionnels", "usagers"],
            mobilisation_precisions="Sur prescription (France Travail, Mission locale, Cap emploi, département…) "
                                    "ou par candidature spontanée auprès de la structure.",
            extra=extra,
        )
        return Offer(structure, [service])


# ---------------------------------------------------------------------------------------------
# GEIQ

GEIQ_THEMATIQUES = (
    "trouver-un-emploi--repondre-a-des-offres-demploi",
    "trouver-un-emploi--faire-des-candidatures-spontanees",
    "se-former--trouver-sa-formation",
    "choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite",
    "choisir-un-metier--confirmer-son-choix-de-metier",
)
#: sector words found in GEIQ names -> searchable words
GEIQ_SECTEURS = {
    "btp": ("bâtiment", "travaux publics", "BTP"), "batiment": ("bâtiment",), "agri": ("agriculture",),
    "agricole": ("agriculture",), "vert": ("espaces verts",), "proprete": ("propreté", "nettoyage"),
    "industrie": ("industrie",), "metallurgie": ("métallurgie", "industrie"), "transport": ("transport",),
    "logistique": ("logistique",), "aero": ("aéronautique",), "chr": ("hôtellerie", "restauration"),
    "hotellerie": ("hôtellerie",), "restauration": ("restauration",), "domicile": ("aide à domicile",),
    "sante": ("santé",), "sanitaire": ("sanitaire et social",), "social": ("social",),
    "handicap": ("handicap",), "accueil": ("accueil",), "sport": ("sport", "animation"),
    "animation": ("animation",), "commerce": ("commerce",), "multi": ("multisectoriel",),
    "interprofessionnel": ("multisectoriel",), "tp": ("travaux publics",), "bois": ("bois",),
    "viti": ("viticulture",), "paysage": ("paysage", "espaces verts"), "securite": ("sécurité",),
}


#: GEIQ sector words (GEIQ_SECTEURS values) -> ROME v3 domaines or fiches the groupement recruits for
GEIQ_SECTEURS_ROME = {
    "bâtiment": ("F15", "F16", "F17"), "travaux publics": ("F13", "F17"), "BTP": ("F13", "F15", "F16", "F17"),
    "agriculture": ("A14",), "espaces verts": ("A12",), "paysage": ("A12",), "viticulture": ("A1401", "A1405"),
    "propreté": ("K22",), "nettoyage": ("K22",), "industrie": ("H",), "métallurgie": ("H29",),
    "transport": ("N41",), "logistique": ("N11",), "aéronautique": ("H29", "I1602"),
    "hôtellerie": ("G15", "G17"), "restauration": ("G16", "G18"), "aide à domicile": ("K13",),
    "santé": ("J13", "J15"), "sanitaire et social": ("J13", "J15", "K13"), "social": ("K12",),
    "sport": ("G12",), "animation": ("G12",), "commerce": ("D",), "bois": ("H22",), "sécurité": ("K25",),
}


class GeiqConnector(Connector):
    name = "geiq"
    label = "Groupements d'employeurs pour l'insertion et la qualification (GEIQ, 2019)"
    licence = ("Export de la base GEIQ publié dans le dépôt AGPL-3.0 gip-inclusion/les-emplois "
               "(licence des données à confirmer)")
    format = "csv (;)"
    origin = ("https://github.com/gip-inclusion/les-emplois — itou/siaes/management/commands/data/"
              "2019_11_21_export_bbd_geiq.csv @ 1859ca7777dd8e1ea2b573086f5e03a4ae5ec4bf")
    leviers = ("emploi", "formation", "immersion")
    default_files = ("siae/2019_11_21_export_bbd_geiq.csv",)

    COLUMNS = ("GEIQ", "ADRESSE", "VILLE", "CODE POSTAL", "EMAIL", "TEL", "SIRET")

    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        return list(csv_records(self, raw, self.COLUMNS))

    @staticmethod
    def mail_context(row: dict) -> tuple[str, ...]:
        return cell(row, "GEIQ"), cell(row, "VILLE"), cell(row, "ADRESSE"), cell(row, "COMPLEMENT ADRESSE")

    def to_offer(self, record: RawRecord) -> Offer:
        row = check_row(record)
        nom = cell(row, "GEIQ")
        if len(nom) < 3:
            raise RecordError("nom du GEIQ absent")
        raw_siret = re.sub(r"\D", "", cell(row, "SIRET"))
        siret = siret_of(raw_siret)
        local_id = siret or (f"siret-{raw_siret}" if raw_siret else None)
        if not local_id:
            raise RecordError(f"SIRET absent : {nom}")
        cp, ville = cell(row, "CODE POSTAL"), cell(row, "VILLE")
        commune, note = place_or_quarantine(cp, ville)
        adresse = cell(row, "ADRESSE") or None
        courriel = institutional_email(cell(row, "EMAIL"), *self.mail_context(row))
        telephone = cell(row, "TEL") or None
        key = fold(nom)
        secteurs = sorted({w for token, words in GEIQ_SECTEURS.items()
                           if re.search(rf"\b{token}", key) for w in words})
        extra: dict = {}
        if secteurs:
            extra["secteurs"] = secteurs
            codes_rome = rome_referentiel().known([c for w in secteurs for c in GEIQ_SECTEURS_ROME.get(w, ())])
            if codes_rome:
                extra["codes_rome"] = codes_rome
                extra["codes_rome_origine"] = "secteur du groupement (nom du GEIQ)"
            extra["mots_cles"] = secteurs + ["alternance", "contrat de professionnalisation", "apprentissage"]
        else:
            extra["mots_cles"] = ["alternance", "contrat de professionnalisation", "apprentissage"]
        if cell(row, "NAF"):
            extra["code_naf"] = cell(row, "NAF").upper()
        if not siret:
            extra["siret_source"] = raw_siret
        description = (
            "Un groupement d'employeurs pour l'insertion et la qualification (GEIQ) réunit des entreprises qui "
            "recrutent ensemble des personnes éloignées de l'emploi en contrat de professionnalisation ou "
            "d'apprentissage : la personne est salariée du GEIQ, travaille dans les entreprises adhérentes et suit "
            "une formation qualifiante, avec un accompagnement social et professionnel."
            + (f"\n\nSecteurs : {', '.join(secteurs)}." if secteurs else "")
            + (f"\n\nActivité déclarée : {naf_text(cell(row, 'NAF'))}." if cell(row, "NAF") else "")
            + "\n\nSource : export de la base des GEIQ du 21 novembre 2019 — informations à vérifier auprès du "
              "groupement.")
        structure = StructureRecord(
            local_id=local_id, nom=nom, siret=siret, date_maj=GEIQ_DATE,
            description="Groupement d'employeurs pour l'insertion et la qualification (GEIQ).",
            adresse=adresse, complement_adresse=cell(row, "COMPLEMENT ADRESSE") or None,
            commune=commune.nom, code_postal=postcode_for(cp, commune), code_insee=commune.code_insee,
            telephone=telephone, courriel=courriel, reseaux_porteurs=["geiq"],
            extra={"corrections": [note]} if note else None,
        )
        modes = [m for m, ok in (("telephoner", telephone), ("envoyer-un-courriel", courriel)) if ok]
        service = ServiceRecord(
            local_id=f"{local_id}-alternance",
            nom="Emploi en alternance avec qualification (GEIQ)",
            description=description, date_maj=GEIQ_DATE, type="accompagnement",
            thematiques=list(GEIQ_THEMATIQUES), frais="gratuit",
            publics=["demandeurs-emploi", "jeunes", "beneficiaires-des-minimas-sociaux"],
            publics_precisions="Personnes éloignées de l'emploi : jeunes sans qualification, demandeurs d'emploi de "
                               "longue durée, bénéficiaires des minima sociaux, travailleurs handicapés, seniors…",
            conditions_acces="Contrat de professionnalisation ou d'apprentissage avec le GEIQ.",
            modes_accueil=["en-presentiel"], modes_mobilisation=modes or None,
            mobilisable_par=["professionnels", "usagers"], extra=extra,
        )
        return Offer(structure, [service])
