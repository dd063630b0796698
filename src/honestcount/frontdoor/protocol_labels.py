"""Protocol lines, control relations and entry states in Belarusian and Russian, for the
digitiser console.

The intake and the rule files describe lines and relations in English
(``honestcount.model.PROTOCOL_LINES``, ``checks/rules/*.toml``); a digitiser in Minsk reads
the protocol in Russian or Belarusian, so the console labels the form in the page's language
and falls back to the English description for a line or relation not listed here. Relation
texts keep the protocol's line numbers, as printed on the Russian CEC form.
"""

from __future__ import annotations

_LINES_RU = {
    "registered": "избирателей в списке",
    "ballots_received": "бюллетеней получено участковой комиссией",
    "issued_early": "бюллетеней выдано досрочно проголосовавшим",
    "issued_on_day": "бюллетеней выдано на участке в день голосования",
    "issued_outside": "бюллетеней выдано вне помещения (голосование на дому)",
    "cancelled": "погашенных (неиспользованных) бюллетеней",
    "ballots_portable": "бюллетеней в переносных ящиках",
    "ballots_stationary": "бюллетеней в стационарных ящиках",
    "invalid": "недействительных бюллетеней",
    "valid": "действительных бюллетеней",
    "lost": "утраченных бюллетеней",
    "unaccounted": "бюллетеней, не учтённых при получении",
    "ballots_cast": "приняли участие в голосовании (бюллетеней в ящиках)",
    "votes_counted": "голосов за все варианты, включая испорченные бюллетени",
    "absentee_received": "открепительных удостоверений получено комиссией",
    "absentee_issued_station": "открепительных удостоверений выдано участковой комиссией",
    "absentee_issued_territorial": "открепительных удостоверений выдано территориальной комиссией",
    "absentee_voted": "проголосовали по открепительным удостоверениям на участке",
    "absentee_cancelled": "погашенных неиспользованных открепительных удостоверений",
    "absentee_lost": "утраченных открепительных удостоверений",
}

_LINES_BE = {
    "registered": "выбаршчыкаў у спісе",
    "ballots_received": "бюлетэняў атрымана ўчастковай камісіяй",
    "issued_early": "бюлетэняў выдадзена тым, хто галасаваў датэрмінова",
    "issued_on_day": "бюлетэняў выдадзена на ўчастку ў дзень галасавання",
    "issued_outside": "бюлетэняў выдадзена па-за памяшканнем (галасаванне на дому)",
    "cancelled": "пагашаных (нявыкарыстаных) бюлетэняў",
    "ballots_portable": "бюлетэняў у пераносных скрынях",
    "ballots_stationary": "бюлетэняў у стацыянарных скрынях",
    "invalid": "несапраўдных бюлетэняў",
    "valid": "сапраўдных бюлетэняў",
    "lost": "страчаных бюлетэняў",
    "unaccounted": "бюлетэняў, не ўлічаных пры атрыманні",
    "ballots_cast": "прынялі ўдзел у галасаванні (бюлетэняў у скрынях)",
    "votes_counted": "галасоў за ўсе варыянты, уключаючы сапсаваныя бюлетэні",
    "absentee_received": "адмацавальных пасведчанняў атрымана камісіяй",
    "absentee_issued_station": "адмацавальных пасведчанняў выдадзена ўчастковай камісіяй",
    "absentee_issued_territorial": "адмацавальных пасведчанняў выдадзена тэрытарыяльнай камісіяй",
    "absentee_voted": "прагаласавалі па адмацавальных пасведчаннях на ўчастку",
    "absentee_cancelled": "пагашаных нявыкарыстаных адмацавальных пасведчанняў",
    "absentee_lost": "страчаных адмацавальных пасведчанняў",
}

_RULES_RU = {
    "options_sum_to_total": "голоса за все варианты, включая испорченные бюллетени = всего "
    "подсчитано",
    "turnout_within_registered": "подсчитано бюллетеней <= избирателей в списке (явка не выше "
    "100%)",
    "no_negative_line": "ни одна строка протокола и ни один вариант не отрицательны",
    "ballots_balance": "получено бюллетеней (2) = выдано досрочно (3) + в день голосования (4) "
    "+ вне помещения (5) + погашено (6) + утрачено (11) − не учтено при получении (12)",
    "boxes_equal_valid_plus_invalid": "бюллетени в переносных (7) и стационарных (8) ящиках = "
    "недействительные (9) + действительные (10)",
    "options_sum_to_valid": "голоса за всех кандидатов или партии = действительные бюллетени (10)",
    "issued_within_registered": "выдано бюллетеней (3 + 4 + 5) <= избирателей в списке (1)",
    "boxes_within_issued": "бюллетеней в ящиках (7 + 8) <= выдано бюллетеней (3 + 4 + 5)",
}

_RULES_BE = {
    "options_sum_to_total": "галасы за ўсе варыянты, уключаючы сапсаваныя бюлетэні = усяго "
    "падлічана",
    "turnout_within_registered": "падлічана бюлетэняў <= выбаршчыкаў у спісе (яўка не вышэй "
    "за 100%)",
    "no_negative_line": "ніводны радок пратакола і ніводны варыянт не адмоўныя",
    "ballots_balance": "атрымана бюлетэняў (2) = выдадзена датэрмінова (3) + у дзень "
    "галасавання (4) + па-за памяшканнем (5) + пагашана (6) + страчана (11) − не ўлічана пры "
    "атрыманні (12)",
    "boxes_equal_valid_plus_invalid": "бюлетэні ў пераносных (7) і стацыянарных (8) скрынях = "
    "несапраўдныя (9) + сапраўдныя (10)",
    "options_sum_to_valid": "галасы за ўсіх кандыдатаў або партыі = сапраўдныя бюлетэні (10)",
    "issued_within_registered": "выдадзена бюлетэняў (3 + 4 + 5) <= выбаршчыкаў у спісе (1)",
    "boxes_within_issued": "бюлетэняў у скрынях (7 + 8) <= выдадзена бюлетэняў (3 + 4 + 5)",
}

_STATES_RU = {
    "pending": "ждёт второго ввода",
    "disputed": "вводы расходятся",
    "agreed": "совпало, протокол принят",
    "conflict": "расходится с принятым протоколом",
}

_STATES_BE = {
    "pending": "чакае другога ўводу",
    "disputed": "уводы разыходзяцца",
    "agreed": "супала, пратакол прыняты",
    "conflict": "разыходзіцца з прынятым пратаколам",
}

LABELS: dict[str, dict[str, dict[str, str]]] = {
    "be": {"lines": _LINES_BE, "rules": _RULES_BE, "states": _STATES_BE},
    "ru": {"lines": _LINES_RU, "rules": _RULES_RU, "states": _STATES_RU},
    "en": {"lines": {}, "rules": {}, "states": {}},  # the service's own words
}


def labels(lang: str) -> dict[str, dict[str, str]]:
    """The digitiser form's labels in ``lang`` (empty maps: use the service's English)."""
    return LABELS.get(lang, LABELS["en"])
