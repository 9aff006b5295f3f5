"""Built-in phrases (English and Russian) for the embedded AI's function decisions.

PATTERNS are the high-precision rules (matched on lower-cased text with ё → е); EXAMPLES feed
the nearest-neighbour vote, with a "none" class of ordinary questions that absorbs near misses.
An AI adds its own examples through the `intent_examples` setting.
"""

from __future__ import annotations

import re

_STAFF = r"(человек|оператор|менеджер|администратор|специалист|сотрудник|консультант)"

_RULES: dict[str, list[str]] = {
    "operator": [
        r"\b(real|live|actual) (person|human|agent)\b",
        r"\b(talk|speak|chat) (to|with) (a |an |the |your )?(human|person|manager|operator|agent"
        r"|someone|somebody|representative)\b",
        r"\b(human|live) (operator|agent|support)\b",
        r"\bconnect me (to|with)\b",
        r"\bput me through\b",
        r"\bis there a (human|person)\b",
        r"\bживо(й|го|м|му) " + _STAFF,
        r"\b(позовите|позови|дайте|соедините|переключите|пригласите)\b.{0,20}" + _STAFF,
        r"\b(поговорить|связаться|общаться) с " + _STAFF,
        r"\bхочу к (оператор|менеджер)",
    ],
    "close": [
        r"\b(good ?bye|bye-bye|bye)\b",
        r"\bnot interested\b",
        r"\b(stop|quit) (messaging|writing|texting|contacting|sending|calling)\b",
        r"\b(don'?t|do not|never) (contact|message|write to|text|call|bother) (me|us)\b",
        r"\bunsubscribe\b",
        r"\bleave me alone\b",
        r"\bдо свидания\b",
        r"(^|[,.!] ?)(ну )?(все )?пока[.!)]*$",
        r"\bне (пишите|звоните|беспокойте)\b",
        r"\bбольше (мне )?не (пиши|надо|звони)",
        r"\b(не интересно|неинтересно|не интересует)\b",
        r"\bотпишите\b",
        r"\bвсего (доброго|хорошего)\b",
    ],
    "interest": [
        r"\b(i|we)('d| would) like to (buy|order|purchase|enroll|book|sign up)\b",
        r"\b(i|we) (want|wanna|need|plan) to (buy|order|purchase|enroll|sign up)\b",
        r"\b(send|give|make|prepare) (me |us )?(a |an )?(quote|quotation|offer|invoice)\b",
        r"\bhow (can|do) i (buy|order|purchase)\b",
        r"\bready to (buy|order)\b",
        r"\bхочу (купить|заказать|приобрести|записаться|оформить|поставить|сделать заказ)",
        r"\bхотел[аи]? бы (купить|заказать|приобрести|записаться)",
        r"\b(как|где) (купить|заказать|оформить заказ)\b",
        r"\bкоммерческое предложение\b",
        r"\b(выставьте|пришлите) сч[её]т\b",
    ],
    "success": [
        r"\bi'?ll take (it|them|one|two)\b",
        r"\b(let'?s|lets) (do it|schedule|book|set up|arrange|meet|have (a|the) call)\b",
        r"\b(sign|book|put) me (up|in|down)\b",
        r"\breserve (one|it|them) for me\b",
        r"\b(yes|sure|ok|okay|sounds good)\b.{0,30}\b(call me|meeting|appointment|schedule"
        r"|reserve|book)\b",
        r"\b(беру|берем)\b",
        r"\bоформляйте\b",
        r"\bдоговорились\b",
        r"\bзаписывайте\b",
        r"\bзапишите меня\b",
        r"\bдавайте (созвонимся|встретимся|запишемся|оформим|оформляйте)\b",
        r"\bприезжайте на замер\b",
    ],
}

PATTERNS: dict[str, re.Pattern[str]] = {
    flag: re.compile("|".join(f"(?:{r})" for r in rules)) for flag, rules in _RULES.items()
}

EXAMPLES: dict[str, list[str]] = {
    "operator": [
        "I want to talk to a real person",
        "can I speak with a human agent",
        "connect me to customer support staff",
        "I need a manager, not a bot",
        "are you a robot? I want a live operator",
        "переведите меня на оператора",
        "хочу пообщаться с живым человеком",
        "позовите менеджера",
    ],
    "close": [
        "goodbye, thanks",
        "please stop sending me messages",
        "I'm not interested anymore",
        "remove me from your list",
        "спасибо, не нужно, до свидания",
        "больше не присылайте сообщения",
        "мне это не интересно",
    ],
    "interest": [
        "I want to buy this",
        "I'd like to place an order",
        "please send me a price quote",
        "хочу купить",
        "хочу сделать заказ",
        "пришлите коммерческое предложение",
    ],
    "success": [
        "yes, let's book the meeting",
        "ok, I'll take it",
        "deal, please place the order",
        "sure, call me tomorrow at 10",
        "да, давайте встретимся",
        "хорошо, оформляйте заказ",
        "беру, договорились",
    ],
    "none": [
        "how much does it cost",
        "what are your opening hours",
        "do you deliver to my city",
        "is there a warranty",
        "can I pay by card",
        "where are you located",
        "do you have it in stock",
        "what is the return policy",
        "сколько стоит",
        "какой у вас график работы",
        "есть ли доставка",
        "где вы находитесь",
        "есть ли гарантия",
        "можно оплатить картой",
        "hello",
        "привет",
        "thank you",
        "спасибо",
    ],
}
