"""Word lists, places and shares behind the synthetic firehose (data only, no logic).

Kept apart from the generator so the distributions can be read, reviewed and
tested on their own. Sentiment lexicons are exported so tests (and later the
sentiment job's checks) can measure the signal the generator plants.
"""
from __future__ import annotations

from itertools import accumulate

# Share of tweets per language, the local UTC offset that drives each language's
# daily rhythm, and "und" = tweets of only hashtags/emojis/links (as Twitter tags them).
LANGUAGES = ("pt", "es", "en", "und")
LANGUAGE_SHARES = {"pt": 0.44, "es": 0.34, "en": 0.19, "und": 0.03}
UTC_OFFSET_HOURS = {"pt": -3, "es": 1, "en": 0, "und": -3}

# Relative tweet volume per local hour 00..23: quiet at 3-5 h, peaks midday and evening.
HOURLY_RHYTHM = (
    0.45, 0.28, 0.16, 0.10, 0.08, 0.10, 0.22, 0.45, 0.75, 0.95, 1.00, 1.05,
    1.10, 1.05, 1.00, 0.98, 1.00, 1.05, 1.12, 1.22, 1.30, 1.25, 1.00, 0.70,
)

# Retweets, replies and quotes target a recent original in the same language.
TWEET_KINDS = ("original", "retweet", "reply", "quote")
TWEET_KIND_SHARES = (0.55, 0.25, 0.15, 0.05)
SENTIMENTS = ("positive", "negative", "neutral")
SENTIMENT_SHARES = (0.30, 0.40, 0.30)  # bank talk skews to complaints

GEOTAGGED_SHARE = 0.04  # non-retweets with a place (retweets carry none): ~3% of all tweets
EXACT_POINT_SHARE = 0.25  # of geotagged tweets, those with exact coordinates
URL_SHARE = 0.10
EMAIL_SHARE = 0.02
PHONE_SHARE = 0.02
MENTION_SHARE = 0.15  # originals/quotes that mention someone
FILLER_SHARE = 0.5  # tweets that open with a neutral context sentence (some long: ~10% exceed 140 chars)
HASHTAG_COUNT_WEIGHTS = (25, 40, 25, 10)  # 0, 1, 2, 3 hashtags (sums to 100)
HASHTAG_COUNT_CUM = tuple(accumulate(HASHTAG_COUNT_WEIGHTS))

SOURCES = (
    ("Twitter for Android", "http://twitter.com/download/android", 46),
    ("Twitter for iPhone", "http://twitter.com/download/iphone", 38),
    ("Twitter Web App", "https://mobile.twitter.com", 14),
    ("TweetDeck", "https://about.twitter.com/products/tweetdeck", 2),
)

# (tag, weight) per language; banking topics first, everyday noise after.
HASHTAGS = {
    "pt": (("Santander", 30), ("SantanderBrasil", 12), ("pix", 9), ("banco", 7), ("fintech", 3),
           ("investimentos", 4), ("cartãodecrédito", 3), ("OpenFinance", 2), ("juros", 3),
           ("BBB", 2), ("futebol", 2), ("segundafeira", 1), ("tbt", 1)),
    "es": (("Santander", 30), ("BancoSantander", 10), ("banco", 7), ("hipoteca", 7), ("Bizum", 6),
           ("fintech", 3), ("ahorro", 3), ("Euribor", 3), ("LaLiga", 2), ("lunes", 1), ("FelizViernes", 1)),
    "en": (("Santander", 30), ("SantanderUK", 10), ("banking", 7), ("mortgage", 6), ("fintech", 5),
           ("openbanking", 2), ("savings", 3), ("PremierLeague", 2), ("MondayMotivation", 1), ("tbt", 1)),
}
HASHTAGS["und"] = (("Santander", 30), ("pix", 5), ("Bizum", 4), ("fintech", 3), ("banco", 3))
HASHTAG_TAGS = {lang: [tag for tag, _ in tags] for lang, tags in HASHTAGS.items()}
HASHTAG_CUM = {lang: list(accumulate(weight for _, weight in tags)) for lang, tags in HASHTAGS.items()}

# Sentiment lexicons: every positive/negative phrase below contains at least one
# word of its own lexicon and none of the opposite one (checked by the tests).
LEXICON = {
    "pt": {
        "positive": ("ótimo", "perfeitamente", "excelente", "rápido", "fácil", "bem", "incrível",
                     "maravilhosa", "recomendo", "adorei", "parabéns", "obrigado", "feliz", "top"),
        "negative": ("péssimo", "caiu", "vergonha", "travou", "absurda", "absurdo", "horrível", "lento",
                     "bloqueou", "raiva", "nunca", "decepcionado", "descaso", "ruim", "demora"),
    },
    "es": {
        "positive": ("genial", "excelente", "rapidísimo", "fácil", "maravilla", "increíble", "perfecto",
                     "recomiendo", "encanta", "gracias", "contento", "enhorabuena", "gusto"),
        "negative": ("pésima", "cayó", "vergüenza", "falla", "abusiva", "horrible", "lentísimo", "bloqueó",
                     "rabia", "nunca", "vergonzoso", "indignado", "fatal", "harto"),
    },
    "en": {
        "positive": ("great", "perfectly", "excellent", "quickly", "easy", "helpful", "amazing", "love",
                     "thanks", "recommend", "happy", "brilliant", "well"),
        "negative": ("terrible", "down", "disgrace", "crashed", "ridiculous", "awful", "slow", "blocked",
                     "angry", "never", "disappointed", "useless", "worst"),
    },
    "und": {
        "positive": ("😍", "🙌", "👏", "❤️", "🔥"),
        "negative": ("😡", "👎", "🤬", "😤", "💩"),
    },
}

PHRASES = {
    "pt": {
        "subjects": ("O app do Santander", "O atendimento da agência", "O Pix", "O cartão de crédito",
                     "O gerente da minha conta", "O internet banking", "A central de atendimento",
                     "O financiamento do carro", "A taxa do empréstimo", "A conta digital",
                     "O caixa eletrônico"),
        "positive": ("funcionou perfeitamente", "é excelente", "resolveu tudo rápido", "ficou muito fácil de usar",
                     "me atendeu super bem", "é incrível", "está excelente", "foi uma experiência maravilhosa"),
        "negative": ("funciona de um jeito péssimo", "caiu de novo", "é uma vergonha", "travou outra vez",
                     "cobrou uma tarifa absurda", "é horrível", "demora demais, muito lento",
                     "bloqueou meu cartão sem aviso"),
        "neutral": ("abre às 10h amanhã", "mudou de endereço", "tem versão nova na loja", "atualizou as regras hoje",
                    "pede o código por SMS", "fica na avenida principal", "mudou o limite diário"),
        "positive_closers": ("Recomendo!", "Adorei 😍", "Parabéns ao time 👏", "Muito obrigado!", "Top demais 🙌",
                             "Fiquei feliz 😊", "Ótimo serviço!"),
        "negative_closers": ("Que raiva 😡", "Nunca mais!", "Absurdo.", "Decepcionado 😞", "Que descaso.",
                             "Ruim demais 👎"),
        "neutral_closers": ("Alguém sabe como funciona?", "Vou ver isso amanhã.", "Fica a dica.", "Alguém mais?"),
        "fillers": ("Hoje cedo tentei pagar um boleto.", "Precisava fazer uma transferência.",
                    "Estava na fila da agência.", "Abri a conta mês passado.", "Troquei de celular ontem.",
                    "Fui ao shopping com minha mãe.",
                    "Hoje precisei pagar o aluguel e a conta de luz antes do meio-dia pelo celular.",
                    "Desde segunda-feira estou tentando resolver a questão do limite do cartão."),
        "email": ("Me chamem no email {}", "meu email: {}", "contato: {}"),
        "phone": ("Me liga no {}", "whats {}", "meu número é {}"),
        "cc": "cc",
    },
    "es": {
        "subjects": ("La app del Santander", "La atención en la oficina", "Bizum", "La tarjeta de crédito",
                     "Mi gestor del banco", "La banca online", "El servicio al cliente", "La hipoteca",
                     "El préstamo personal", "El cajero automático", "La cuenta online"),
        "positive": ("funciona genial", "es excelente", "me lo resolvió todo rapidísimo", "es muy fácil de usar",
                     "me atendió de maravilla", "es increíble", "va perfecto"),
        "negative": ("funciona de forma pésima", "se cayó otra vez", "es una vergüenza", "falla todo el rato",
                     "me cobró una comisión abusiva", "es horrible", "va lentísimo", "me bloqueó la tarjeta sin avisar"),
        "neutral": ("abre a las 9 mañana", "cambió de dirección", "tiene versión nueva", "actualizó las condiciones hoy",
                    "pide el código por SMS", "está en la calle mayor", "cambió el límite diario"),
        "positive_closers": ("¡Lo recomiendo!", "Me encanta 😍", "¡Enhorabuena al equipo! 👏", "¡Muchas gracias!",
                             "Muy contento 😊", "¡Qué gusto! 🙌"),
        "negative_closers": ("Qué rabia 😡", "¡Nunca más!", "Vergonzoso.", "Indignado 😞", "Fatal 👎",
                             "Estoy harto."),
        "neutral_closers": ("¿Alguien sabe cómo va?", "Lo miro mañana.", "Ahí lo dejo.", "¿Alguien más?"),
        "fillers": ("Esta mañana intenté pagar un recibo.", "Necesitaba hacer una transferencia.",
                    "Estaba en la cola de la oficina.", "Abrí la cuenta el mes pasado.", "Cambié de móvil ayer.",
                    "Fui al centro con mi madre.",
                    "Hoy tenía que pagar el alquiler y la factura de la luz antes del mediodía desde el móvil.",
                    "Desde el lunes intento aclarar lo del límite de la tarjeta con el banco."),
        "email": ("Escribidme a {}", "mi correo: {}", "contacto: {}"),
        "phone": ("Llamadme al {}", "mi móvil {}", "mi número es {}"),
        "cc": "cc",
    },
    "en": {
        "subjects": ("The Santander app", "The branch service", "My credit card", "My account manager",
                     "Online banking", "Customer service", "The mortgage team", "The personal loan",
                     "The cash machine", "The savings account"),
        "positive": ("is great", "worked perfectly", "is excellent", "sorted everything quickly", "is so easy to use",
                     "was really helpful", "is amazing"),
        "negative": ("is terrible", "is down again", "is a disgrace", "crashed again", "charged me a ridiculous fee",
                     "is awful", "is painfully slow", "blocked my card without warning"),
        "neutral": ("opens at 9 tomorrow", "moved to a new address", "has a new version out", "updated its terms today",
                    "asks for a code by text", "is on the high street", "changed the daily limit"),
        "positive_closers": ("Highly recommend!", "Love it 😍", "Well done team 👏", "Thanks so much!",
                             "Really happy 😊", "Brilliant 🙌"),
        "negative_closers": ("So angry 😡", "Never again!", "Ridiculous.", "Really disappointed 😞", "Useless 👎",
                             "Worst bank ever."),
        "neutral_closers": ("Does anyone know how it works?", "Will check tomorrow.", "Just so you know.",
                            "Anyone else?"),
        "fillers": ("This morning I tried to pay a bill.", "I needed to make a transfer.",
                    "I was queueing at the branch.", "Opened the account last month.", "Changed my phone yesterday.",
                    "Went into town with my mum.",
                    "Today I had to pay the rent and the electricity bill from my phone before noon.",
                    "Since Monday I have been trying to sort out the limit on my card with the bank."),
        "email": ("Email me at {}", "my email: {}", "contact: {}"),
        "phone": ("Call me on {}", "my number is {}", "text me {}"),
        "cc": "cc",
    },
}
NEUTRAL_EMOJIS = ("🤔", "👀", "🏦", "💳", "📱")

FIRST_NAMES = {
    "pt": ("Ana", "João", "Maria", "Pedro", "Lucas", "Juliana", "Gabriel", "Fernanda", "Rafael", "Camila",
           "Bruno", "Larissa", "Thiago", "Beatriz", "Felipe", "Mariana", "Gustavo", "Aline", "Rodrigo", "Patrícia"),
    "es": ("Javier", "Lucía", "Carlos", "María", "Alejandro", "Sofía", "Pablo", "Laura", "Daniel", "Paula",
           "Diego", "Marta", "Sergio", "Carmen", "Álvaro", "Elena", "Raúl", "Cristina"),
    "en": ("James", "Emma", "Oliver", "Olivia", "Harry", "Amelia", "George", "Sophie", "Jack", "Emily",
           "Charlie", "Jessica", "Thomas", "Chloe", "Daniel", "Grace"),
}
LAST_NAMES = {
    "pt": ("Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
           "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida"),
    "es": ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
           "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno"),
    "en": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
           "Thompson", "Evans", "Walker", "White", "Roberts"),
}
FIRST_NAMES["und"] = FIRST_NAMES["pt"] + FIRST_NAMES["es"]
LAST_NAMES["und"] = LAST_NAMES["pt"] + LAST_NAMES["es"]

BIOS = {
    "pt": ("Paulistano, engenheiro e torcedor", "Mãe, advogada e curiosa", "Opiniões são minhas",
           "Economia, café e futebol ⚽", "Dev | SP", "Professora 📚", ""),
    "es": ("Madrileño de adopción", "Ingeniera, runner y cafetera ☕", "Opiniones personales",
           "Economía y fútbol ⚽", "Dev | BCN", "Profe 📚", ""),
    "en": ("Londoner, engineer, tea drinker", "Mum, lawyer, curious", "Views my own", "Finance and football ⚽",
           "Dev | MK", "Teacher 📚", ""),
}
BIOS["und"] = BIOS["pt"]

# Real cities: (name, full_name, country, country_code, (west, south, east, north), location aliases).
PLACES = (
    ("São Paulo", "São Paulo, Brasil", "Brasil", "BR", (-46.826, -24.008, -46.365, -23.357),
     ("São Paulo", "São Paulo, Brasil", "SP, Brasil", "Sampa", "São Paulo - SP", "sp")),
    ("Rio de Janeiro", "Rio de Janeiro, Brasil", "Brasil", "BR", (-43.796, -23.083, -43.099, -22.746),
     ("Rio de Janeiro", "Rio de Janeiro, Brasil", "RJ", "Rio 🏖️", "rio de janeiro - rj")),
    ("Belo Horizonte", "Belo Horizonte, Brasil", "Brasil", "BR", (-44.063, -20.059, -43.857, -19.776),
     ("Belo Horizonte", "BH", "Belo Horizonte, MG")),
    ("Brasília", "Brasília, Brasil", "Brasil", "BR", (-48.286, -16.052, -47.308, -15.500),
     ("Brasília", "Brasília - DF", "DF")),
    ("Porto Alegre", "Porto Alegre, Brasil", "Brasil", "BR", (-51.306, -30.269, -51.012, -29.931),
     ("Porto Alegre", "POA", "Porto Alegre, RS")),
    ("Curitiba", "Curitiba, Brasil", "Brasil", "BR", (-49.389, -25.645, -49.185, -25.345),
     ("Curitiba", "Curitiba - PR")),
    ("Salvador", "Salvador, Brasil", "Brasil", "BR", (-38.699, -13.017, -38.304, -12.733),
     ("Salvador", "Salvador, Bahia")),
    ("Recife", "Recife, Brasil", "Brasil", "BR", (-35.018, -8.155, -34.859, -7.929), ("Recife", "Recife - PE")),
    ("Lisboa", "Lisboa, Portugal", "Portugal", "PT", (-9.230, 38.691, -9.087, 38.796), ("Lisboa", "Lisboa, Portugal")),
    ("Madrid", "Madrid, España", "España", "ES", (-3.889, 40.312, -3.518, 40.643),
     ("Madrid", "Madrid, España", "MAD", "madrid 🐻")),
    ("Barcelona", "Barcelona, España", "España", "ES", (2.052, 41.317, 2.229, 41.468),
     ("Barcelona", "BCN", "Barcelona, Catalunya")),
    ("Santander", "Santander, España", "España", "ES", (-3.889, 43.434, -3.765, 43.492),
     ("Santander", "Santander, Cantabria", "Cantabria")),
    ("Sevilla", "Sevilla, España", "España", "ES", (-6.033, 37.324, -5.883, 37.434), ("Sevilla", "Sevilla, Andalucía")),
    ("Valencia", "Valencia, España", "España", "ES", (-0.433, 39.279, -0.272, 39.566), ("Valencia", "València")),
    ("Bilbao", "Bilbao, España", "España", "ES", (-2.986, 43.213, -2.880, 43.290), ("Bilbao", "Bilbo")),
    ("Ciudad de México", "Ciudad de México, México", "México", "MX", (-99.365, 19.048, -98.940, 19.593),
     ("CDMX", "Ciudad de México", "México, D.F.")),
    ("Buenos Aires", "Buenos Aires, Argentina", "Argentina", "AR", (-58.531, -34.705, -58.335, -34.527),
     ("Buenos Aires", "CABA", "Bs. As., Argentina")),
    ("Santiago", "Santiago, Chile", "Chile", "CL", (-70.800, -33.650, -70.450, -33.300),
     ("Santiago de Chile", "Santiago, Chile")),
    ("London", "London, England", "United Kingdom", "GB", (-0.510, 51.287, 0.334, 51.692),
     ("London", "London, England", "LDN", "london uk")),
    ("Manchester", "Manchester, England", "United Kingdom", "GB", (-2.320, 53.400, -2.147, 53.545),
     ("Manchester", "Manchester, UK")),
    ("Milton Keynes", "Milton Keynes, England", "United Kingdom", "GB", (-0.850, 51.980, -0.670, 52.090),
     ("Milton Keynes", "MK")),
    ("Boston", "Boston, MA", "United States", "US", (-71.191, 42.227, -70.986, 42.400), ("Boston, MA", "Boston")),
    ("New York", "Manhattan, NY", "United States", "US", (-74.026, 40.683, -73.910, 40.878), ("NYC", "New York, NY")),
)
# Which cities a language's users live in, with weights (index into PLACES).
HOME_PLACES = {
    "pt": ((0, 40), (1, 20), (2, 8), (3, 6), (4, 6), (5, 6), (6, 5), (7, 4), (8, 5)),
    "es": ((9, 30), (10, 18), (11, 8), (12, 8), (13, 8), (14, 6), (15, 10), (16, 8), (17, 4)),
    "en": ((18, 50), (19, 15), (20, 10), (21, 12), (22, 13)),
}
HOME_PLACES["und"] = HOME_PLACES["pt"]
HOME_PLACE_INDEX = {lang: [i for i, _ in homes] for lang, homes in HOME_PLACES.items()}
HOME_PLACE_CUM = {lang: list(accumulate(w for _, w in homes)) for lang, homes in HOME_PLACES.items()}
COUNTRY_LOCATIONS = {"BR": ("Brasil", "Brasil 🇧🇷", "BR"), "PT": ("Portugal 🇵🇹",), "ES": ("España", "España 🇪🇸"),
                     "MX": ("México 🇲🇽",), "AR": ("Argentina 🇦🇷",), "CL": ("Chile",),
                     "GB": ("UK", "United Kingdom 🇬🇧", "England"), "US": ("USA", "United States")}
NOISE_LOCATIONS = {
    "pt": ("🌎", "Planeta Terra", "onde o vento me levar", "em casa"),
    "es": ("🌍", "La Tierra", "en mi casa", "por ahí"),
    "en": ("🌍", "Earth", "somewhere", "he/him"),
}
NOISE_LOCATIONS["und"] = NOISE_LOCATIONS["pt"]
# Free-text location: city alias / country / noise / empty.
LOCATION_KIND_WEIGHTS = (45, 15, 12, 28)
LOCATION_KIND_CUM = tuple(accumulate(LOCATION_KIND_WEIGHTS))

EMAIL_DOMAINS = {
    "pt": ("gmail.com", "hotmail.com", "yahoo.com.br", "outlook.com", "uol.com.br"),
    "es": ("gmail.com", "hotmail.es", "yahoo.es", "outlook.es"),
    "en": ("gmail.com", "yahoo.co.uk", "outlook.com", "hotmail.co.uk"),
}
EMAIL_DOMAINS["und"] = EMAIL_DOMAINS["pt"]
URL_BASES = {
    "pt": ("https://www.santander.com.br/", "https://g1.globo.com/economia/", "https://www.infomoney.com.br/",
           "https://valor.globo.com/financas/"),
    "es": ("https://www.bancosantander.es/", "https://www.expansion.com/", "https://cincodias.elpais.com/",
           "https://www.eleconomista.es/"),
    "en": ("https://www.santander.co.uk/", "https://www.bbc.co.uk/news/business", "https://www.ft.com/",
           "https://www.theguardian.com/money"),
}
URL_BASES["und"] = URL_BASES["pt"]
