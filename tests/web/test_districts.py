"""District names instead of codes, and the stations whose photos exceed the list."""

from __future__ import annotations

import csv
import json
import re
from importlib import resources

import pandas as pd
import pytest

from honestcount.web.districts import names, table
from honestcount.web.search import fold

from .test_pages import BY, get_json, station_url

OVER_LIST = "07-006-0042"  # more ballots photographed than voters on the list
DATA = resources.files("honestcount").joinpath("data/belarus-2020")


@pytest.fixture(autouse=True)
def forget_language(client):
    """``?lang=`` sets a cookie on the shared client: later tests expect none."""
    yield
    client.cookies.clear()


def district_rows() -> list[dict[str, str]]:
    with DATA.joinpath("districts.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def stations() -> pd.DataFrame:
    with DATA.joinpath("geo-categorized.csv").open(encoding="utf-8") as f:
        geo = pd.read_csv(f, dtype=str)
    geo["code"] = geo["id"].str.rsplit("-", n=1).str[0]
    return geo


def test_every_district_code_has_a_name_in_three_languages():
    rows = district_rows()
    assert len({(r["code"], r["kind"]) for r in rows}) == len(rows)
    assert {r["kind"] for r in rows} <= {"raion", "city district", "city", "abroad"}
    assert {r["certainty"] for r in rows} <= {"high", "probable", "not established"}
    for r in rows:
        assert all(r[f"name_{lang}"].strip() for lang in ("be", "ru", "en")), r
        assert re.fullmatch(r"\d\d-\d\d\d", r["code"]), r
        # a name that could not be established says so in every language
        unsure = r["certainty"] == "not established"
        assert unsure == ("not established" in r["name_en"]), r
        assert unsure == ("не ўстаноўлена" in r["name_be"]) == ("не установлено" in r["name_ru"])
    geo = stations()
    known = table("belarus-2020")
    for code, region in geo[["code", "region"]].drop_duplicates().itertuples(index=False):
        assert (code, region == "8") in known, code


# raions whose administrative centre is not the place they are named after
CENTRE_NAMED_OTHERWISE = {"05-039": "Maryina Horka"}  # Puchavicki raion


def skeleton(name: str) -> str:
    """Up to two first consonants of a name's search skeleton (Сянно and Сенненскі agree);
    a name of vowels keeps its first three letters (Iwye, Іўеўскі)."""
    folded = fold(name)
    return re.sub(r"[^b-df-hj-np-tv-z]", "", folded)[:2] or folded[:3]


def test_raions_named_after_their_most_frequent_town():
    """Where a name rests on the district's towns, one of its three most frequent towns is
    the raion's centre (the raion's name begins as the town's does, in some script)."""
    geo = stations()
    checked = 0
    for r in district_rows():
        if r["basis"] != "town" or r["kind"] != "raion":
            continue
        towns = geo.loc[geo["code"] == r["code"], "town"].value_counts().index[:3]
        names_ = [r[f"name_{lang}"] for lang in ("be", "ru", "en")]
        stems = [skeleton(n) for n in names_] + [fold(n)[:3] for n in names_]
        if r["code"] in CENTRE_NAMED_OTHERWISE:
            assert towns[0] == CENTRE_NAMED_OTHERWISE[r["code"]]
            continue
        words = [w for t in towns for w in t.split()]  # Vialikaja Bierastavica
        assert any(s.startswith(skeleton(w)) for w in words for s in stems), (r["code"], towns)
        checked += 1
    assert checked > 100


def test_abroad_stations_are_not_named_after_the_minsk_district():
    assert names("belarus-2020", "07-002", "abroad")["en"] == "Stations abroad"
    assert names("belarus-2020", "07-002", "Minsk city")["en"] == "Lieninski district (Minsk)"
    assert names("belarus-2020", "99-999", "Minsk city") is None
    assert names("no such/election", "07-002", None) is None


def test_station_twin_and_page_name_the_district(client):
    doc = get_json(client, station_url("belarus-2020", "07-008-0001") + ".json")
    s = doc["station"]
    assert s["district"] == "07-008"  # the code stays
    assert s["district_name"] == "Frunzienski district (Minsk)"
    assert s["district_names"]["be"] == "Фрунзенскі раён (Мінск)"
    embassy = get_json(client, station_url("belarus-2020", "07-002-0080") + ".json")
    assert embassy["station"]["district_name"] == "Stations abroad"
    pages = {
        "en": "Frunzienski district (Minsk) (07-008)",
        "be": "Фрунзенскі раён (Мінск) (07-008)",
        "ru": "Фрунзенский район (Минск) (07-008)",
    }
    for lang, shown in pages.items():
        html = client.get(station_url("belarus-2020", "07-008-0001") + f"?lang={lang}").text
        assert shown in html, lang


@pytest.mark.parametrize("query", ["Фрунзенский", "Фрунзенскі", "Frunzienski", "frunzenskiy"])
def test_search_finds_stations_by_district_name_in_any_script(client, query):
    want = {sid for sid in stations()["id"] if sid.startswith("07-008-")}
    doc = get_json(client, f"{BY}/stations.json?q={query}&per_page=1000")
    found = {s["id"] for s in doc["stations"]}
    assert found == want
    assert {s["district_name"] for s in doc["stations"]} == {"Frunzienski district (Minsk)"}
    html = client.get(f"{BY}/stations?q={query}&lang=ru").text
    assert "Фрунзенский район (Минск) (07-008)" in html


def test_district_names_match_word_for_word(client):
    """ "Мінскі раён" finds Minski raion; "minsk" finds Minsk by its town, not every station
    whose district name begins with it."""
    raion = {sid for sid in stations()["id"] if sid.startswith("05-141-")}
    doc = get_json(client, f"{BY}/stations.json?q=Мінскі раён&per_page=1000")
    assert {s["id"] for s in doc["stations"]} == raion
    town = get_json(client, f"{BY}/stations.json?q=minsk&per_page=1000")
    assert not {s["id"] for s in town["stations"]} & raion - {
        s for s in raion if "minsk" in fold(str(stations().set_index("id").at[s, "town"]))
    }


def test_map_layer_carries_district_names(client):
    html = client.get(f"{BY}/map").text
    src = re.search(r'src="([^"]*map-layer\.js[^"]*)"', html).group(1).replace("&amp;", "&")
    raw = client.get(src).content
    layer = json.loads(raw[len(b"window.HC_LAYER=") :].rstrip(b";\n"))
    i = layer["ids"].index("07-006-0042")
    assert layer["dnames"][layer["dn"][i]] == [
        "Першамайскі раён (Мінск)",
        "Первомайский район (Минск)",
        "Pieršamajski district (Minsk)",
    ]
    assert min(layer["dn"]) >= 0  # every Belarus station has a named district


def test_photos_over_the_list_are_explained(client):
    doc = get_json(client, station_url("belarus-2020", "07-006-0042") + ".json")
    over = doc["photos_over_list"]
    photos = sum(o["photo_confirmed"] or 0 for o in doc["options"])
    assert (
        over["photos"] == photos > over["registered_voters"] == doc["station"]["registered_voters"]
    )
    assert over["declared"] >= over["photos"]
    for lang, words in {"en": "cannot both be right", "be": "не могуць", "ru": "не могут"}.items():
        html = client.get(station_url("belarus-2020", "07-006-0042") + f"?lang={lang}").text
        assert 'id="photos-over-list"' in html and words in html, lang
    ordinary = get_json(client, station_url("belarus-2020", "01-011-0003") + ".json")
    assert ordinary["photos_over_list"] is None
    assert (
        'id="photos-over-list"' not in client.get(station_url("belarus-2020", "01-011-0003")).text
    )


def test_several_proven_options_read_as_separate_names(client):
    doc = get_json(client, station_url("belarus-2020", OVER_LIST) + ".json")
    assert len(doc["verdict"]["proven_options"]) >= 2
    pages = {
        "en": "“Sviatlana Tsikhanouskaya” and “Against all”",
        "be": "«Святлана Ціханоўская» і «Супраць усіх»",
        "ru": "«Светлана Тихановская» и «Против всех»",
    }
    for lang, shown in pages.items():
        html = client.get(station_url("belarus-2020", OVER_LIST) + f"?lang={lang}").text
        assert shown in html, lang
