"""What the bot says, in Belarusian, Russian and English.

Every key exists in every language (a test checks it). Placeholders are ``str.format`` fields.
"""

from __future__ import annotations

LANGUAGES = ("be", "ru", "en")
LANGUAGE_NAMES = {"be": "Беларуская", "ru": "Русский", "en": "English"}

_EN = {
    "choose_language": "Choose your language · Абярыце мову · Выберите язык",
    "ask_contact": (
        "To count your vote once, we need to know your phone number is yours. Press "
        "«{button}»: {messenger} sends your own number. We keep only a keyed hash of it, "
        "never the number."
    ),
    "button_contact": "Share my number",
    "not_own_contact": "That is not your own contact. Press «{button}» to share your number.",
    "press_contact_button": "Please press «{button}» below; a typed number cannot be checked.",
    "ask_station": (
        "Which polling station do you vote at? Send its number (e.g. {example}), your town or "
        "street, or press «{button}» to see the nearest ones (your location is used once and "
        "not stored)."
    ),
    "button_location": "Send my location",
    "stations_found": "Pick your station:",
    "stations_more": "{shown} of {total} shown; add a street or the number to narrow it down.",
    "stations_none": "No station matches «{query}». Try the number, or another spelling.",
    "stations_nearest": "The stations nearest to you:",
    "registered": "You are registered at station {station}.",
    "already_registered": (
        "This number is already registered for this election. Your earlier registration "
        "counts; send /status to see it."
    ),
    "ask_choice": "Whom did you vote for? Only counts are published, never who answered what.",
    "choice_unknown": "Please choose one of the buttons.",
    "declared": "Recorded: {option}.",
    "ask_photo": (
        "If you can, send a photo of your marked ballot (front side). It proves your vote "
        "better than words. Send /skip to finish without a photo."
    ),
    "ask_photo_back": "Received. You may also send the back side, or /skip.",
    "photo_expected": "Please send a photo (or /skip).",
    "photo_received": "Photo {photo} received: {status}.",
    "receipt": (
        "Thank you. Your receipt:\n• account {account}\n• station {station}\n• choice: "
        "{option}\n• photos: {photos}\nSend /status any time; /delete withdraws everything."
    ),
    "status": "Station {station}\nChoice: {option}\nPhotos: {photos}",
    "status_counts": "Published counts at your station: {counts}",
    "status_embargo": "Counts per station are not published yet.",
    "not_registered": "You are not registered yet: send /start.",
    "delete_confirm": "Withdraw your registration, choice and photos? This cannot be undone.",
    "delete_done": "Withdrawn. Nothing of yours is counted any more. /start registers again.",
    "delete_unavailable": (
        "Withdrawal is not available on this server yet; your registration stays as it is."
    ),
    "delete_kept": "Nothing was withdrawn.",
    "button_yes": "Yes, withdraw",
    "button_no": "No",
    "busy": "The service is busy or unreachable. Please send that again in a minute.",
    "refused": "The service refused this: {detail}",
    "done_hint": "You are done. /status shows your receipt; /delete withdraws it.",
    "web_code": "Your code for the website: {code}",
    "web_code_mismatch": "This number is not the one you typed on the website.",
    "none": "none",
    "pending": "waiting for a moderator",
    "accepted": "accepted",
    "rejected": "rejected",
    "front": "front",
    "back": "back",
    "web_title": "Count your vote",
    "web_intro": (
        "Register once, declare your choice and photograph your ballot. "
        "Nothing is lost if the network drops: it is sent when it returns."
    ),
    "web_phone": "Phone number (international, +375…)",
    "web_station": "Polling station: number, town or street",
    "web_nearest": "Nearest to me",
    "web_register": "Register",
    "web_choice": "Whom did you vote for?",
    "web_declare": "Declare",
    "web_photo": "Photo of your ballot (front)",
    "web_send_photo": "Send photo",
    "web_queued": "Waiting for the network: {n} to send",
    "web_sent": "Everything is sent.",
    "web_receipt": "Your receipt",
    "web_account": "Account",
    "web_status_title": "Station status",
    "web_status_station": "Station number",
    "web_show": "Show",
    "web_no_js": "Without JavaScript you can read a station’s status:",
    "web_pick": "Pick your station",
    "web_none": "No station matches.",
    "web_refused": "Refused: {detail}",
    "web_uploading": "Uploading… {pct}%",
    "web_verify": "Prove your number through the Telegram bot",
    "web_verify_why": "Some elections count only proved numbers. It takes a minute.",
    "web_verify_start": "Get a code through the bot",
    "web_verify_open": "Open the bot",
    "web_verify_command": "Or send this message to the bot:",
    "web_verify_send": "Send this message to the bot:",
    "web_verify_steps": "In the bot, share your contact: it shows a six-digit code. Type it here.",
    "web_verify_code": "Code from the bot",
    "web_verify_confirm": "Confirm the code",
    "web_verify_wrong": "Wrong code: {n} tries left.",
    "web_verify_closed": "This code can no longer be used: ask for a new one.",
    "web_verify_not_yet": "Open the bot and share your contact first.",
    "web_verify_offline": "No network: try again when you are online.",
    "web_tier": "Number:",
    "tier_none": "not proved",
    "tier_bot_code": "proved through the Telegram bot",
    "tier_messenger_contact": "proved by Telegram",
    "tier_sms_code": "proved by SMS",
}

_RU = {
    "choose_language": "Choose your language · Абярыце мову · Выберите язык",
    "ask_contact": (
        "Чтобы учесть ваш голос один раз, нужно убедиться, что номер телефона ваш. Нажмите "
        "«{button}»: {messenger} отправит ваш собственный номер. Мы храним только его хеш с "
        "ключом, но не сам номер."
    ),
    "button_contact": "Отправить мой номер",
    "not_own_contact": "Это не ваш контакт. Нажмите «{button}», чтобы отправить свой номер.",
    "press_contact_button": "Нажмите «{button}» внизу: набранный вручную номер проверить нельзя.",
    "ask_station": (
        "На каком участке вы голосуете? Пришлите его номер (например, {example}), город или "
        "улицу, или нажмите «{button}», чтобы увидеть ближайшие (местоположение используется "
        "один раз и не сохраняется)."
    ),
    "button_location": "Отправить местоположение",
    "stations_found": "Выберите участок:",
    "stations_more": "Показано {shown} из {total}; добавьте улицу или номер, чтобы уточнить.",
    "stations_none": "Ни один участок не подходит под «{query}». Попробуйте номер или другое "
    "написание.",
    "stations_nearest": "Ближайшие к вам участки:",
    "registered": "Вы зарегистрированы на участке {station}.",
    "already_registered": (
        "Этот номер уже зарегистрирован на этих выборах. Прежняя регистрация действует; "
        "отправьте /status, чтобы её увидеть."
    ),
    "ask_choice": "За кого вы проголосовали? Публикуются только числа, но не кто что ответил.",
    "choice_unknown": "Выберите одну из кнопок.",
    "declared": "Записано: {option}.",
    "ask_photo": (
        "Если можете, пришлите фото заполненного бюллетеня (лицевая сторона). Оно доказывает "
        "ваш голос лучше слов. /skip — закончить без фото."
    ),
    "ask_photo_back": "Получено. Можно прислать и оборотную сторону, или /skip.",
    "photo_expected": "Пришлите фото (или /skip).",
    "photo_received": "Фото {photo} получено: {status}.",
    "receipt": (
        "Спасибо. Ваша квитанция:\n• учётная запись {account}\n• участок {station}\n• выбор: "
        "{option}\n• фото: {photos}\n/status — в любое время; /delete отзывает всё."
    ),
    "status": "Участок {station}\nВыбор: {option}\nФото: {photos}",
    "status_counts": "Опубликованные числа по вашему участку: {counts}",
    "status_embargo": "Числа по участкам пока не публикуются.",
    "not_registered": "Вы ещё не зарегистрированы: отправьте /start.",
    "delete_confirm": "Отозвать регистрацию, выбор и фото? Отменить это нельзя.",
    "delete_done": "Отозвано. Ничего вашего больше не учитывается. /start — зарегистрироваться "
    "снова.",
    "delete_unavailable": "На этом сервере отзыв пока недоступен; регистрация остаётся как была.",
    "delete_kept": "Ничего не отозвано.",
    "button_yes": "Да, отозвать",
    "button_no": "Нет",
    "busy": "Сервис занят или недоступен. Пришлите это ещё раз через минуту.",
    "refused": "Сервис отказал: {detail}",
    "done_hint": "Готово. /status покажет квитанцию; /delete отзовёт её.",
    "web_code": "Ваш код для сайта: {code}",
    "web_code_mismatch": "Это не тот номер, который вы ввели на сайте.",
    "none": "нет",
    "pending": "ждёт модератора",
    "accepted": "принято",
    "rejected": "отклонено",
    "front": "лицевая сторона",
    "back": "оборот",
    "web_title": "Учесть ваш голос",
    "web_intro": (
        "Зарегистрируйтесь один раз, укажите выбор и сфотографируйте бюллетень. "
        "При обрыве сети ничего не теряется: всё отправится, когда она вернётся."
    ),
    "web_phone": "Номер телефона (международный, +375…)",
    "web_station": "Участок: номер, город или улица",
    "web_nearest": "Ближайшие ко мне",
    "web_register": "Зарегистрироваться",
    "web_choice": "За кого вы проголосовали?",
    "web_declare": "Отправить выбор",
    "web_photo": "Фото бюллетеня (лицевая сторона)",
    "web_send_photo": "Отправить фото",
    "web_queued": "Ждём сеть: к отправке {n}",
    "web_sent": "Всё отправлено.",
    "web_receipt": "Ваша квитанция",
    "web_account": "Учётная запись",
    "web_status_title": "Состояние участка",
    "web_status_station": "Номер участка",
    "web_show": "Показать",
    "web_no_js": "Без JavaScript можно посмотреть состояние участка:",
    "web_pick": "Выберите участок",
    "web_none": "Ни один участок не подходит.",
    "web_refused": "Отказано: {detail}",
    "web_uploading": "Загрузка… {pct}%",
    "web_verify": "Подтвердите номер через Telegram-бота",
    "web_verify_why": (
        "На некоторых выборах учитываются только подтверждённые номера. Это займёт минуту."
    ),
    "web_verify_start": "Получить код через бота",
    "web_verify_open": "Открыть бота",
    "web_verify_command": "Или отправьте боту это сообщение:",
    "web_verify_send": "Отправьте боту это сообщение:",
    "web_verify_steps": (
        "В боте поделитесь контактом: он покажет шестизначный код. Введите его здесь."
    ),
    "web_verify_code": "Код от бота",
    "web_verify_confirm": "Подтвердить код",
    "web_verify_wrong": "Неверный код: осталось попыток {n}.",
    "web_verify_closed": "Этот код больше не действует: запросите новый.",
    "web_verify_not_yet": "Сначала откройте бота и поделитесь контактом.",
    "web_verify_offline": "Нет сети: попробуйте, когда появится связь.",
    "web_tier": "Номер:",
    "tier_none": "не подтверждён",
    "tier_bot_code": "подтверждён через Telegram-бота",
    "tier_messenger_contact": "подтверждён Telegram",
    "tier_sms_code": "подтверждён по SMS",
}

_BE = {
    "choose_language": "Choose your language · Абярыце мову · Выберите язык",
    "ask_contact": (
        "Каб улічыць ваш голас адзін раз, трэба пераканацца, што нумар тэлефона ваш. Націсніце "
        "«{button}»: {messenger} адправіць ваш уласны нумар. Мы захоўваем толькі яго хэш з "
        "ключом, а не сам нумар."
    ),
    "button_contact": "Адправіць мой нумар",
    "not_own_contact": "Гэта не ваш кантакт. Націсніце «{button}», каб адправіць свой нумар.",
    "press_contact_button": "Націсніце «{button}» унізе: набраны ўручную нумар праверыць нельга.",
    "ask_station": (
        "На якім участку вы галасуеце? Дашліце яго нумар (напрыклад, {example}), горад або "
        "вуліцу, або націсніце «{button}», каб убачыць бліжэйшыя (месцазнаходжанне "
        "выкарыстоўваецца адзін раз і не захоўваецца)."
    ),
    "button_location": "Адправіць месцазнаходжанне",
    "stations_found": "Абярыце ўчастак:",
    "stations_more": "Паказана {shown} з {total}; дадайце вуліцу або нумар, каб удакладніць.",
    "stations_none": "Ніводны ўчастак не адпавядае «{query}». Паспрабуйце нумар або іншае "
    "напісанне.",
    "stations_nearest": "Бліжэйшыя да вас участкі:",
    "registered": "Вы зарэгістраваныя на ўчастку {station}.",
    "already_registered": (
        "Гэты нумар ужо зарэгістраваны на гэтых выбарах. Ранейшая рэгістрацыя дзейнічае; "
        "дашліце /status, каб яе ўбачыць."
    ),
    "ask_choice": "За каго вы прагаласавалі? Публікуюцца толькі лічбы, а не хто што адказаў.",
    "choice_unknown": "Абярыце адну з кнопак.",
    "declared": "Запісана: {option}.",
    "ask_photo": (
        "Калі можаце, дашліце фота запоўненага бюлетэня (пярэдні бок). Яно даводзіць ваш голас "
        "лепш за словы. /skip — скончыць без фота."
    ),
    "ask_photo_back": "Атрымана. Можна даслаць і адваротны бок, або /skip.",
    "photo_expected": "Дашліце фота (або /skip).",
    "photo_received": "Фота {photo} атрымана: {status}.",
    "receipt": (
        "Дзякуй. Ваша квітанцыя:\n• уліковы запіс {account}\n• участак {station}\n• выбар: "
        "{option}\n• фота: {photos}\n/status — у любы час; /delete адклікае ўсё."
    ),
    "status": "Участак {station}\nВыбар: {option}\nФота: {photos}",
    "status_counts": "Апублікаваныя лічбы па вашым участку: {counts}",
    "status_embargo": "Лічбы па ўчастках пакуль не публікуюцца.",
    "not_registered": "Вы яшчэ не зарэгістраваныя: дашліце /start.",
    "delete_confirm": "Адклікаць рэгістрацыю, выбар і фота? Адмяніць гэта нельга.",
    "delete_done": "Адклікана. Нічога вашага больш не ўлічваецца. /start — зарэгістравацца зноў.",
    "delete_unavailable": "На гэтым серверы адклік пакуль недаступны; рэгістрацыя застаецца.",
    "delete_kept": "Нічога не адклікана.",
    "button_yes": "Так, адклікаць",
    "button_no": "Не",
    "busy": "Сэрвіс заняты або недаступны. Дашліце гэта яшчэ раз праз хвіліну.",
    "refused": "Сэрвіс адмовіў: {detail}",
    "done_hint": "Гатова. /status пакажа квітанцыю; /delete адкліча яе.",
    "web_code": "Ваш код для сайта: {code}",
    "web_code_mismatch": "Гэта не той нумар, які вы ўвялі на сайце.",
    "none": "няма",
    "pending": "чакае мадэратара",
    "accepted": "прынята",
    "rejected": "адхілена",
    "front": "пярэдні бок",
    "back": "адваротны бок",
    "web_title": "Улічыць ваш голас",
    "web_intro": (
        "Зарэгіструйцеся адзін раз, пазначце выбар і сфатаграфуйце бюлетэнь. "
        "Калі сетка знікне, нічога не страціцца: усё адправіцца, калі яна вернецца."
    ),
    "web_phone": "Нумар тэлефона (міжнародны, +375…)",
    "web_station": "Участак: нумар, горад або вуліца",
    "web_nearest": "Бліжэйшыя да мяне",
    "web_register": "Зарэгістравацца",
    "web_choice": "За каго вы прагаласавалі?",
    "web_declare": "Адправіць выбар",
    "web_photo": "Фота бюлетэня (пярэдні бок)",
    "web_send_photo": "Адправіць фота",
    "web_queued": "Чакаем сетку: да адпраўкі {n}",
    "web_sent": "Усё адпраўлена.",
    "web_receipt": "Ваша квітанцыя",
    "web_account": "Уліковы запіс",
    "web_status_title": "Стан участка",
    "web_status_station": "Нумар участка",
    "web_show": "Паказаць",
    "web_no_js": "Без JavaScript можна паглядзець стан участка:",
    "web_pick": "Абярыце ўчастак",
    "web_none": "Ніводны ўчастак не адпавядае.",
    "web_refused": "Адмоўлена: {detail}",
    "web_uploading": "Запампоўка… {pct}%",
    "web_verify": "Пацвердзіце нумар праз Telegram-бота",
    "web_verify_why": (
        "На некаторых выбарах улічваюцца толькі пацверджаныя нумары. Гэта зойме хвіліну."
    ),
    "web_verify_start": "Атрымаць код праз бота",
    "web_verify_open": "Адкрыць бота",
    "web_verify_command": "Або дашліце боту гэта паведамленне:",
    "web_verify_send": "Дашліце боту гэта паведамленне:",
    "web_verify_steps": (
        "У боце падзяліцеся кантактам: ён пакажа шасцізначны код. Увядзіце яго тут."
    ),
    "web_verify_code": "Код ад бота",
    "web_verify_confirm": "Пацвердзіць код",
    "web_verify_wrong": "Няправільны код: засталося спроб {n}.",
    "web_verify_closed": "Гэты код больш не дзейнічае: папытайце новы.",
    "web_verify_not_yet": "Спачатку адкрыйце бота і падзяліцеся кантактам.",
    "web_verify_offline": "Няма сеткі: паспрабуйце, калі з'явіцца сувязь.",
    "web_tier": "Нумар:",
    "tier_none": "не пацверджаны",
    "tier_bot_code": "пацверджаны праз Telegram-бота",
    "tier_messenger_contact": "пацверджаны Telegram",
    "tier_sms_code": "пацверджаны праз SMS",
}

MESSAGES: dict[str, dict[str, str]] = {"en": _EN, "ru": _RU, "be": _BE}


def text(lang: str | None, key: str, **fields: object) -> str:
    """The message ``key`` in ``lang`` (English when the language is unknown)."""
    catalog = MESSAGES.get(lang or "en", _EN)
    return catalog[key].format(**fields) if fields else catalog[key]


def language_of(label: str) -> str | None:
    """The language a button label or code names (``Беларуская``, ``ru``...)."""
    wanted = label.strip().lower()
    for code, name in LANGUAGE_NAMES.items():
        if wanted in (code, name.lower()):
            return code
    return None
