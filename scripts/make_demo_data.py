"""Write the small, hand-made demo dataset that ships inside ``shoprel``.

The rows are built from the hand-written lexicon below (product concepts with their category
paths, search queries in several languages and AliExpress-like item titles). They are
illustrative only: they are NOT competition data and say nothing about real model quality.

Outputs (under ``src/shoprel/data/demo/`` unless ``--out-dir`` is given):

* ``qc_demo.jsonl``  query vs category path
* ``qi_demo.jsonl``  query vs item title
* ``README.md``      description and row counts

Standard library only, and deterministic: running it twice writes byte-identical files.

    python scripts/make_demo_data.py [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from pathlib import Path

SEED = 20250801
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "shoprel" / "data" / "demo"

QC_LANGUAGES = ["en", "es", "fr", "pt", "de", "it", "ja", "ko"]
QI_LANGUAGES = [*QC_LANGUAGES, "th"]

# Rows per language: (positives, hard negatives, easy negatives).
QC_PLAN = {lang: (30, 5, 10) for lang in QC_LANGUAGES}
QI_PLAN = {lang: (28, 5, 9) for lang in QC_LANGUAGES} | {"th": (16, 3, 5)}

# Chance that a QC positive uses one of the concept's other relevant paths ("alt"), if any.
P_ALT_PATH = 0.35

# Positives per language: two queries from each of this many concepts, then one per concept.
N_DOUBLE = 8

# Chance that a row uses an item title written in the query's language (when one exists),
# for positives and for easy negatives alike, so "same language" is no shortcut to the label.
P_LOCAL_TITLE = 0.4


# ---------------------------------------------------------------------------------------------
# Lexicon
#
# Each concept is one kind of product. Every query of a concept is relevant to every one of its
# titles and to its category path (queries only name attributes that all its titles share).
#   path   category path (levels joined by "," with no space; a level may contain ", ")
#   alt    other category paths where the product is also sold (also relevant, QC only)
#   q      queries per language
#   en     English item titles
#   loc    item titles in other languages
#   near   near-miss titles: look alike, but NOT relevant to any query of the concept
#   hard   extra near-miss category paths (siblings), NOT relevant to any query of the concept
#   avoid  concepts too close to serve as "clearly unrelated" negatives
# Concepts whose paths share their first two levels (else their first level) are also used as
# hard negatives for each other.
# ---------------------------------------------------------------------------------------------

CONCEPTS: list[dict] = [
    # ------------------------------------------------------------------ phones & telecom
    {
        "key": "phone_case",
        "path": "phones & telecommunications,mobile phone accessories,mobile phone cases & covers",
        "alt": [
            "phones & telecommunications,mobile phone accessories,phone bags & cases",
        ],
        "q": {
            "en": ["iphone 15 case", "iphon 14 pro max case", "phone case"],
            "es": ["funda iphone 15", "funda para iphone 13"],
            "fr": ["coque iphone 15 pro max", "coque iphone 13"],
            "pt": ["capinha iphone 14", "capa iphone 15 pro"],
            "de": ["iphone 15 hülle", "handyhülle iphone 14"],
            "it": ["cover iphone 15 pro", "custodia iphone 14"],
            "ja": ["iphone15 ケース", "スマホケース アイフォン14"],
            "ko": ["아이폰15 케이스", "아이폰 14 프로 케이스"],
            "th": ["เคสไอโฟน 15"],
        },
        "en": [
            "Luxury Magnetic Clear Case for iPhone 15 14 13 Pro Max MagSafe Shockproof Cover",
            "Liquid Silicone Soft Phone Case for iPhone 13 14 15 Pro Max Camera Protection Cover",
            "Transparent Shockproof Bumper Case for iPhone 15 14 13 Pro Max Anti-Drop Back Cover",
        ],
        "loc": {
            "es": ["Funda magnética transparente para iPhone 15 14 13 Pro Max, carcasa antigolpes"],
            "de": [
                "Magnetische Transparente Hülle für iPhone 15 14 13 Pro Max Stoßfeste Schutzhülle"
            ],
            "ja": ["iPhone 15 14 13 Pro Max 対応 MagSafe 透明 ケース 耐衝撃 ワイヤレス充電対応"],
            "ko": ["아이폰 15 14 13 프로 맥스 맥세이프 투명 케이스 충격 방지 커버"],
        },
        "near": [
            "9H Tempered Glass Screen Protector for iPhone 15 14 13 Pro Max Full Cover Film",
            "Camera Lens Protector Glass for iPhone 15 Pro Max Metal Ring Lens Film",
            "MagSafe Magnetic Wireless Charger Pad 15W Fast Charging for iPhone 15 14 13",
        ],
    },
    {
        "key": "screen_protector",
        "path": "phones & telecommunications,mobile phone accessories,screen protectors",
        "q": {
            "en": ["iphone 15 screen protector", "tempered glass iphone 14"],
            "es": ["protector de pantalla iphone 15", "mica iphone 14"],
            "fr": ["verre trempé iphone 15", "protection écran iphone 13"],
            "pt": ["película iphone 15", "pelicula de vidro iphone 14"],
            "de": ["panzerglas iphone 15", "schutzglas iphone 14"],
            "it": ["vetro temperato iphone 15", "pellicola iphone 13"],
            "ja": ["iphone15 ガラスフィルム", "保護フィルム iphone14"],
            "ko": ["아이폰15 강화유리", "아이폰 14 보호필름"],
            "th": ["ฟิล์มกระจก iphone 15"],
        },
        "en": [
            "9H Tempered Glass Screen Protector for iPhone 15 14 13 Pro Max Full Cover HD Film",
            "3Pcs Full Cover Tempered Glass for iPhone 13 14 15 Plus Pro Max Screen Protector HD",
            "Privacy Anti-Spy Tempered Glass Screen Protector for iPhone 15 14 13 Pro Max",
        ],
        "loc": {
            "fr": [
                "Verre trempé 9H protection d'écran pour iPhone 15 14 13 Pro Max, film intégral"
            ],
            "pt": ["Película de vidro temperado 9H para iPhone 15 14 13 Pro Max proteção de tela"],
            "ja": [
                "iPhone 15 14 13 Pro Max 対応 ガラスフィルム 9H 強化ガラス 全面保護 保護フィルム"
            ],
            "th": ["ฟิล์มกระจกนิรภัย 9H สำหรับ iPhone 15 14 13 Pro Max แบบเต็มจอ"],
        },
        "near": [
            "Clear Shockproof Case for iPhone 15 14 13 Pro Max Soft TPU Back Cover",
            "Curved Tempered Glass Screen Protector for Samsung Galaxy S23 Ultra 9H Film",
            "Tempered Glass Screen Protector for Nintendo Switch OLED 9H HD Clear",
        ],
    },
    {
        "key": "phone_charger",
        "path": "phones & telecommunications,mobile phone accessories,mobile phone chargers",
        "q": {
            "en": ["usb c fast charger", "iphone fast charger"],
            "es": ["cargador rapido usb c", "cargador iphone"],
            "fr": ["chargeur rapide usb c", "chargeur iphone"],
            "pt": ["carregador turbo usb c", "carregador iphone 15"],
            "de": ["usb c ladegerät schnell", "ladegerät iphone"],
            "it": ["caricabatterie usb c", "caricatore rapido iphone"],
            "ja": ["急速充電器 usb-c", "iphone 充電器"],
            "ko": ["고속충전기 c타입", "아이폰 충전기"],
            "th": ["หัวชาร์จเร็ว usb c"],
        },
        "en": [
            "20W PD USB C Fast Charger for iPhone 15 14 13 Quick Charge Wall Adapter EU US Plug",
            "65W GaN USB Type C Charger PD Fast Charging for iPhone Samsung Xiaomi Laptop",
            "PD 30W USB-C Wall Charger Quick Charge 3.0 Phone Charger Adapter for iPhone 15",
        ],
        "loc": {
            "es": ["Cargador rápido USB C de 20W PD para iPhone 15 14 13, adaptador de pared"],
            "it": ["Caricabatterie rapido USB C 20W PD per iPhone 15 14 13 adattatore da muro"],
            "ko": ["20W PD USB C 고속 충전기 아이폰 15 14 13 호환 충전 어댑터"],
        },
        "near": [
            "USB C to Lightning Cable 2M Fast Charging Data Cord for iPhone 14 13 12",
            "USB C to USB C Cable 100W 1M Braided Fast Charging Cord for Samsung",
            "Charger Cable Protector Spiral Cord Saver for iPhone USB Cable 10 Pcs",
        ],
    },
    # ------------------------------------------------------------------ consumer electronics
    {
        "key": "earbuds",
        "path": "consumer electronics,portable audio & video,earphones & headphones",
        "alt": [
            "consumer electronics,portable audio & video,earphones & headphones,"
            "bluetooth earphones & headphones",
        ],
        "q": {
            "en": ["wireless earbuds", "bluetooth earphones"],
            "es": ["audifonos inalambricos", "auriculares bluetooth"],
            "fr": ["écouteurs sans fil", "ecouteur bluetooth"],
            "pt": ["fone de ouvido bluetooth", "fone sem fio"],
            "de": ["bluetooth kopfhörer", "in ear kopfhörer kabellos"],
            "it": ["auricolari bluetooth", "cuffie wireless"],
            "ja": ["ワイヤレスイヤホン", "bluetooth イヤホン"],
            "ko": ["블루투스 이어폰", "무선 이어폰"],
            "th": ["หูฟังบลูทูธ"],
        },
        "en": [
            "TWS Wireless Bluetooth 5.3 Earbuds Noise Cancelling Earphones with Mic Charging Case",
            "Original Lenovo LP40 Pro TWS Bluetooth Earphones Wireless Sport Headphones HiFi",
            "Bluetooth 5.3 In-Ear Wireless Earphones Touch Control Waterproof Sports Earbuds",
        ],
        "loc": {
            "fr": ["Écouteurs sans fil Bluetooth 5.3 TWS réduction de bruit avec étui de charge"],
            "pt": [
                "Fone de ouvido Bluetooth 5.3 sem fio TWS com microfone e estojo de carregamento"
            ],
            "ja": [
                "ワイヤレスイヤホン Bluetooth 5.3 ノイズキャンセリング 防水 マイク付き 充電ケース"
            ],
            "th": ["หูฟังบลูทูธไร้สาย TWS 5.3 ตัดเสียงรบกวน กันน้ำ พร้อมไมค์"],
        },
        "near": [
            "Replacement Silicone Ear Tips for AirPods Pro 2 Earbuds 3 Pairs S M L",
            "Protective Silicone Case Cover for AirPods Pro 2nd Generation with Keychain",
            "Earphone Storage Bag Hard Case Zipper Pouch for Headphones and Cables",
        ],
    },
    {
        "key": "bt_speaker",
        "path": "consumer electronics,portable audio & video,speakers",
        "alt": [
            "consumer electronics,home audio & video,speakers",
        ],
        "q": {
            "en": ["bluetooth speaker", "bluetoth speaker waterproof"],
            "es": ["bocina bluetooth", "altavoz bluetooth portatil"],
            "fr": ["enceinte bluetooth", "enceinte portable"],
            "pt": ["caixa de som bluetooth", "caixinha de som"],
            "de": ["bluetooth lautsprecher", "musikbox bluetooth"],
            "it": ["cassa bluetooth", "altoparlante bluetooth"],
            "ja": ["bluetooth スピーカー", "防水スピーカー"],
            "ko": ["블루투스 스피커", "휴대용 스피커"],
            "th": ["ลำโพงบลูทูธ"],
        },
        "en": [
            "Portable Bluetooth Speaker IPX7 Waterproof Wireless Column Outdoor Subwoofer Bass",
            "40W Wireless Bluetooth 5.3 Speaker Waterproof Outdoor Stereo Sound Box with RGB Light",
            "Mini Waterproof Bluetooth Speaker with Strong Bass Portable Shower Speaker TF Card",
        ],
        "loc": {
            "es": [
                "Altavoz Bluetooth portátil impermeable IPX7 con graves potentes para exteriores"
            ],
            "pt": ["Caixa de som Bluetooth portátil à prova d'água 40W com luz RGB"],
            "ko": ["휴대용 블루투스 스피커 IPX7 방수 고출력 우퍼 야외용"],
        },
        "near": [
            "Bluetooth 5.0 Audio Receiver Transmitter 3.5mm AUX Adapter for Car Stereo",
            "Speaker Wall Mount Bracket Adjustable Holder for Sonos One Bookshelf Speakers",
            "Carrying Case for JBL Flip 6 Portable Speaker Hard Travel Bag",
        ],
    },
    {
        "key": "smartwatch",
        "path": "consumer electronics,smart electronics,wearable devices,smart watches",
        "alt": [
            "consumer electronics,smart electronics,wearable devices,smart watches,"
            "sport smart watches",
        ],
        "q": {
            "en": ["smartwatch", "smart watch men"],
            "es": ["reloj inteligente", "smartwatch hombre"],
            "fr": ["montre connectée", "montre intelligente homme"],
            "pt": ["relógio inteligente", "smartwatch masculino"],
            "de": ["smartwatch herren", "fitness uhr"],
            "it": ["smartwatch uomo", "orologio smart"],
            "ja": ["スマートウォッチ", "スマートウォッチ メンズ"],
            "ko": ["스마트워치", "스마트 워치 남성"],
            "th": ["นาฬิกาสมาร์ทวอทช์"],
        },
        "en": [
            "Smart Watch Men Women 1.96 Inch AMOLED Bluetooth Call Heart Rate Fitness Smartwatch",
            "2024 New Smartwatch for Men Android iOS Waterproof Sports Fitness Watch Blood Oxygen",
            "Men's Smart Watch Bluetooth Call 100+ Sport Modes IP68 Waterproof for Xiaomi Huawei",
        ],
        "loc": {
            "es": ["Reloj inteligente para hombre y mujer con llamadas Bluetooth y ritmo cardíaco"],
            "de": ["Smartwatch Herren Damen 1,96 Zoll AMOLED Bluetooth Anruf Fitness Tracker"],
            "ja": ["スマートウォッチ メンズ レディース 通話機能 心拍計 防水 Android iPhone 対応"],
        },
        "near": [
            "Silicone Sport Band for Apple Watch Strap 45mm 44mm 41mm Series 9 8 7 SE",
            "Magnetic Charging Cable for Smart Watch USB Charger Dock Replacement",
            "Tempered Glass Screen Protector Case for Apple Watch 45mm 41mm Series 9",
        ],
        "avoid": ["men_watch", "watchband"],
    },
    # ------------------------------------------------------------------ home & garden
    {
        "key": "mug",
        "path": "home & garden,kitchen, dining & bar,drinkware,mugs",
        "q": {
            "en": ["coffee mug", "ceramic mug cute"],
            "es": ["taza de cafe", "tazas de ceramica"],
            "fr": ["tasse à café", "mug céramique"],
            "pt": ["caneca de café", "caneca de porcelana"],
            "de": ["kaffeetasse", "keramik becher"],
            "it": ["tazza caffè", "tazza mug ceramica"],
            "ja": ["マグカップ", "コーヒーカップ 陶器"],
            "ko": ["머그컵", "커피 머그잔"],
            "th": ["แก้วมัคกาแฟ"],
        },
        "en": [
            "400ml Ceramic Coffee Mug with Handle Creative Cute Cat Tea Milk Cup Office Gift",
            "Nordic Style Ceramic Mug 350ml Breakfast Milk Coffee Cup Handmade Glaze Drinkware",
            "Cute Cartoon Ceramic Mugs with Lid and Spoon Coffee Cup Couple Gift",
        ],
        "loc": {
            "fr": ["Mug en céramique 400ml tasse à café avec anse, style nordique"],
            "it": ["Tazza in ceramica 400ml per caffè e tè con manico, mug simpatica regalo"],
            "ja": ["マグカップ 陶器 400ml コーヒーカップ かわいい 猫 ギフト 北欧風"],
        },
        "near": [
            "Glass Water Bottle 500ml with Time Marker Sports Drinking Bottle",
            "Ceramic Coaster Set of 6 Round Absorbent Cup Mat Coffee Table Decor",
            "Wooden Mug Rack Tree Holder 6 Hooks Coffee Cup Stand",
        ],
        "hard": ["home & garden,kitchen, dining & bar,drinkware,water bottles"],
    },
    {
        "key": "frying_pan",
        "path": "home & garden,kitchen, dining & bar,cookware,pans",
        "q": {
            "en": ["non stick frying pan", "skillet 28cm"],
            "es": ["sarten antiadherente", "sartén 28 cm"],
            "fr": ["poêle antiadhésive", "poele 28cm"],
            "pt": ["frigideira antiaderente", "frigideira 28cm"],
            "de": ["bratpfanne beschichtet", "pfanne 28 cm"],
            "it": ["padella antiaderente", "padella 28 cm"],
            "ja": ["フライパン 28cm", "フライパン ih対応"],
            "ko": ["프라이팬", "인덕션 프라이팬"],
            "th": ["กระทะเคลือบ"],
        },
        "en": [
            "Non-stick Frying Pan 20/24/28cm Granite Coating Skillet Induction Gas Compatible",
            "28cm Nonstick Frying Pan Medical Stone Coated Pancake Egg Pan for Induction Cooker",
            "Honeycomb Stainless Steel Non Stick Frying Pan 24 26 28cm Induction Compatible",
        ],
        "loc": {
            "es": [
                "Sartén antiadherente de 28 cm con revestimiento de granito, apta para inducción"
            ],
            "de": [
                "Bratpfanne 28cm antihaftbeschichtet Granit Induktion geeignet Pfanne mit Griff"
            ],
            "ko": ["논스틱 프라이팬 28cm 인덕션 겸용 그래니트 코팅 계란 후라이팬"],
        },
        "near": [
            "Silicone Spatula Set Heat Resistant Non-Stick Cooking Utensils 5 Pcs",
            "Universal Glass Pan Lid 24 26 28cm Tempered Glass Cover for Frying Pan",
            "Stainless Steel Stock Pot 24cm Soup Pot with Lid Induction Bottom",
        ],
        "hard": ["home & garden,kitchen, dining & bar,cookware,soup & stock pots"],
    },
    {
        "key": "bed_sheet",
        "path": "home & garden,home textile,bedding,sheets",
        "alt": [
            "home & garden,home textile,bedding,bedding sets",
        ],
        "q": {
            "en": ["bed sheet set", "fitted sheet"],
            "es": ["sabanas", "sábana ajustable"],
            "fr": ["drap housse", "drap de lit"],
            "pt": ["lençol de elástico", "jogo de lençol"],
            "de": ["spannbettlaken", "bettlaken"],
            "it": ["lenzuola", "lenzuolo con angoli"],
            "ja": ["ボックスシーツ", "シーツ ダブル"],
            "ko": ["침대 시트", "퀸 침대 시트"],
            "th": ["ผ้าปูที่นอน"],
        },
        "en": [
            "Solid Color Fitted Sheet with Elastic Band Mattress Cover Single Double Queen King",
            "100% Cotton Fitted Bed Sheet Set with 2 Pillowcases Soft Breathable Queen King",
            "Brushed Microfiber Fitted Sheet Deep Pocket Bed Sheet Double Queen Wrinkle Free",
        ],
        "loc": {
            "fr": ["Drap housse uni avec élastique 100% coton 140x190 160x200 double queen"],
            "pt": ["Lençol com elástico 100% algodão, jogo de cama casal queen king com fronhas"],
            "ja": ["ボックスシーツ シングル ダブル クイーン 綿100% ベッドシーツ マットレスカバー"],
            "th": ["ผ้าปูที่นอนรัดมุม ผ้าฝ้าย 100% ขนาด 5 ฟุต 6 ฟุต"],
        },
        "near": [
            "Quilted Duvet Cover 200x230 Comforter Cover with Zipper Closure",
            "Memory Foam Bed Pillow Cervical Neck Pillow for Sleeping",
            "Bed Sheet Holder Straps Elastic Corner Clips Fasteners 4 Pcs",
        ],
        "hard": ["home & garden,home textile,bedding,duvet cover"],
    },
    {
        "key": "curtains",
        "path": "home & garden,home textile,curtains",
        "q": {
            "en": ["blackout curtains", "curtains for living room"],
            "es": ["cortinas blackout", "cortinas para sala"],
            "fr": ["rideaux occultants", "rideau salon"],
            "pt": ["cortina blackout", "cortina para sala"],
            "de": ["verdunkelungsvorhang", "gardinen wohnzimmer"],
            "it": ["tende oscuranti", "tende soggiorno"],
            "ja": ["遮光カーテン", "カーテン リビング"],
            "ko": ["암막커튼", "거실 커튼"],
            "th": ["ผ้าม่านกันแสง"],
        },
        "en": [
            "Modern Blackout Curtains for Living Room Bedroom Thermal Insulated Window Drapes",
            "Solid Color Blackout Curtain for Bedroom Living Room Window Treatment Grommet Top",
            "Luxury Velvet Blackout Curtains for Living Room Thick Curtain Panel Ready Made",
        ],
        "loc": {
            "es": ["Cortinas blackout para sala y dormitorio, aislamiento térmico, 1 panel"],
            "de": ["Verdunkelungsvorhang Blickdicht für Wohnzimmer Schlafzimmer Gardine mit Ösen"],
            "ko": ["암막커튼 거실 침실 단열 방한 커튼 아일렛 1장"],
        },
        "near": [
            "Extendable Curtain Rod 110-200cm Metal Window Rail with Brackets",
            "Magnetic Curtain Tiebacks Holdback Buckle Clips 2 Pcs",
            "Waterproof Shower Curtain with Hooks Polyester Bathroom Curtain 180x180",
        ],
    },
    # ------------------------------------------------------------------ women's clothing
    {
        "key": "dress",
        "path": "women's clothing,dresses",
        "alt": [
            "women's clothing,dresses,summer dresses",
        ],
        "q": {
            "en": ["summer dress women", "beach dress"],
            "es": ["vestido de verano", "vestidos mujer"],
            "fr": ["robe d'été", "robe femme"],
            "pt": ["vestido feminino", "vestido de verão"],
            "de": ["sommerkleid damen", "kleid"],
            "it": ["vestito estivo donna", "abito donna"],
            "ja": ["ワンピース 夏", "ワンピース レディース"],
            "ko": ["여름 원피스", "원피스 여성"],
            "th": ["ชุดเดรสผู้หญิง"],
        },
        "en": [
            "Women's Summer Floral Print Maxi Dress Casual V Neck Short Sleeve Beach Dress",
            "Elegant Women Summer Midi Dress Solid Color Sleeveless A-Line Party Dress",
            "Bohemian Beach Dress for Women Summer Spaghetti Strap Long Dress Vacation",
        ],
        "loc": {
            "es": ["Vestido de verano para mujer con estampado floral, cuello en V, manga corta"],
            "it": ["Vestito estivo da donna a fiori, scollo a V, abito lungo da spiaggia"],
            "ja": ["ワンピース レディース 夏 花柄 ロング丈 Vネック 半袖 リゾート"],
            "th": ["ชุดเดรสผู้หญิง ลายดอก แขนสั้น คอวี ใส่ไปทะเล"],
        },
        "near": [
            "Women's Summer Floral Print Blouse V Neck Short Sleeve Casual Top",
            "High Waist Pleated Midi Skirt Women Summer A-Line Skirt",
            "Women's Summer Linen Wide Leg Pants High Waist Loose Trousers",
        ],
        "hard": ["women's clothing,skirts"],
    },
    {
        "key": "women_tshirt",
        "path": "women's clothing,tops & tees,t-shirts",
        "q": {
            "en": ["oversized t shirt women", "womens tshirt"],
            "es": ["camiseta mujer", "playera oversize mujer"],
            "fr": ["t-shirt femme", "tee shirt oversize femme"],
            "pt": ["camiseta feminina", "t-shirt feminina oversized"],
            "de": ["t-shirt damen", "oversize shirt damen"],
            "it": ["maglietta donna", "t-shirt donna oversize"],
            "ja": ["tシャツ レディース", "オーバーサイズ tシャツ"],
            "ko": ["여성 반팔 티셔츠", "오버핏 티셔츠"],
            "th": ["เสื้อยืดผู้หญิง"],
        },
        "en": [
            "Women's Oversized T-Shirt Summer Cotton Short Sleeve Loose Casual Tee Top",
            "Harajuku Oversized Graphic T Shirt Women Vintage Print Short Sleeve Tops",
            "Basic Oversized Tshirt Women Solid Color O-Neck Loose Cotton Tee",
        ],
        "loc": {
            "pt": ["Camiseta feminina oversized de algodão manga curta estampada casual"],
            "de": ["Damen Oversize T-Shirt Baumwolle Kurzarm Locker Sommer Basic Shirt"],
            "ko": ["여성 오버핏 반팔 티셔츠 면 루즈핏 캐주얼 여름 티"],
        },
        "near": [
            "Women's Ribbed Knit Tank Top Sleeveless Crop Top Summer Camisole",
            "Women's Long Sleeve Knit Cardigan Button Up Sweater Coat",
            "Women's Cotton Pajama Set Short Sleeve Sleepwear Loungewear",
        ],
    },
    # ------------------------------------------------------------------ men's clothing
    {
        "key": "hoodie",
        "path": "men's clothing,hoodies & sweatshirts",
        "alt": [
            "men's clothing,hoodies & sweatshirts,hoodies",
        ],
        "q": {
            "en": ["men hoodie", "pullover hoodie"],
            "es": ["sudadera hombre", "sudadera con capucha"],
            "fr": ["sweat à capuche homme", "hoodie homme"],
            "pt": ["moletom masculino", "blusa de moletom com capuz"],
            "de": ["hoodie herren", "kapuzenpullover"],
            "it": ["felpa uomo", "felpa con cappuccio"],
            "ja": ["パーカー メンズ", "プルオーバー パーカー"],
            "ko": ["남자 후드티", "후드티"],
            "th": ["เสื้อฮู้ดผู้ชาย"],
        },
        "en": [
            "Men's Pullover Hoodie Autumn Winter Fleece Hooded Sweatshirt Casual Streetwear",
            "Oversized Hoodies for Men Solid Color Pullover Hooded Sweatshirt Loose Fit",
            "Men Graphic Print Hoodie Long Sleeve Pullover Sweatshirt with Kangaroo Pocket",
        ],
        "loc": {
            "fr": ["Sweat à capuche homme pull molletonné automne hiver décontracté"],
            "it": ["Felpa con cappuccio da uomo in pile, pullover casual autunno inverno"],
            "ja": ["パーカー メンズ プルオーバー 裏起毛 秋冬 カジュアル スウェット"],
        },
        "near": [
            "Men's Zip Up Windbreaker Jacket Waterproof Lightweight Hooded Coat",
            "Men's Crew Neck Sweater Knitted Pullover Winter Warm Jumper",
            "Men's Jogger Sweatpants Fleece Drawstring Track Pants",
        ],
    },
    {
        "key": "jeans",
        "path": "men's clothing,jeans",
        "q": {
            "en": ["jeans men", "mens denim jeans"],
            "es": ["jeans hombre", "pantalon de mezclilla hombre"],
            "fr": ["jean homme", "pantalon jean homme"],
            "pt": ["calça jeans masculina", "calca jeans"],
            "de": ["jeans herren", "herren jeanshose"],
            "it": ["jeans uomo", "jeans da uomo"],
            "ja": ["ジーンズ メンズ", "デニムパンツ メンズ"],
            "ko": ["남자 청바지", "청바지"],
            "th": ["กางเกงยีนส์ผู้ชาย"],
        },
        "en": [
            "Men's Slim Fit Stretch Jeans Classic Denim Pants Casual Trousers Blue Black",
            "Baggy Jeans Men Wide Leg Denim Pants Streetwear Loose Straight Trousers",
            "Men's Ripped Skinny Jeans Distressed Denim Pants Fashion Stretch",
        ],
        "loc": {
            "es": ["Jeans de hombre slim fit elásticos, pantalón de mezclilla clásico"],
            "pt": ["Calça jeans masculina slim com elastano, jeans clássica azul"],
            "ko": ["남자 청바지 슬림핏 스판 데님 팬츠 기본 일자핏"],
        },
        "near": [
            "Men's Denim Jacket Classic Trucker Jean Jacket Casual Coat",
            "Men's Cargo Pants Multi Pocket Casual Trousers Cotton Work Pants",
            "Men's Leather Belt Automatic Buckle Business Waist Strap for Jeans",
        ],
        "hard": ["men's clothing,casual pants"],
    },
    # ------------------------------------------------------------------ shoes
    {
        "key": "men_sneakers",
        "path": "shoes,men's shoes,men's casual shoes",
        "alt": [
            "shoes,men's shoes,men's vulcanize shoes",
        ],
        "q": {
            "en": ["sneakers for men", "casual shoes men"],
            "es": ["tenis hombre", "zapatillas hombre"],
            "fr": ["baskets homme", "chaussures homme"],
            "pt": ["tênis masculino", "sapatenis masculino"],
            "de": ["sneaker herren", "herren schuhe"],
            "it": ["sneakers uomo", "scarpe uomo"],
            "ja": ["スニーカー メンズ", "メンズ シューズ"],
            "ko": ["남자 운동화", "남성 스니커즈"],
            "th": ["รองเท้าผ้าใบผู้ชาย"],
        },
        "en": [
            "Men's Casual Sneakers Breathable Mesh Lightweight Walking Shoes Non-slip",
            "Fashion White Sneakers Men Leather Casual Shoes Lace Up Flat Skate Shoes",
            "Men Sneakers 2024 Comfortable Breathable Casual Shoes Outdoor Tenis Masculino",
        ],
        "loc": {
            "pt": ["Tênis masculino casual respirável leve para caminhada, sapatênis confortável"],
            "de": ["Herren Sneaker Atmungsaktive Freizeitschuhe Leichte Schuhe Rutschfest"],
            "th": ["รองเท้าผ้าใบผู้ชาย ระบายอากาศ น้ำหนักเบา ใส่สบาย เดินได้ทั้งวัน"],
        },
        "near": [
            "Replacement Shoelaces for Sneakers Flat Laces 120cm 1 Pair",
            "Memory Foam Insoles for Shoes Men Women Sport Arch Support",
            "Sneaker Cleaning Kit Shoe Cleaner Brush and Foam 150ml",
        ],
        "hard": ["shoes,men's shoes,men's boots"],
    },
    {
        "key": "women_sandals",
        "path": "shoes,women's shoes,women's sandals",
        "q": {
            "en": ["sandals for women", "womens summer sandals"],
            "es": ["sandalias mujer", "sandalias de verano"],
            "fr": ["sandales femme", "sandale été femme"],
            "pt": ["sandália feminina", "sandalia feminina verão"],
            "de": ["sandalen damen", "damen sommer sandalen"],
            "it": ["sandali donna", "sandali estivi"],
            "ja": ["サンダル レディース", "サンダル 夏"],
            "ko": ["여성 샌들", "여름 샌들"],
            "th": ["รองเท้ารัดส้นผู้หญิง"],
        },
        "en": [
            "Women's Summer Sandals Flat Open Toe Beach Shoes Casual Roman Sandals",
            "Platform Sandals Women 2024 Summer Thick Sole Ankle Strap Casual Sandals",
            "Women Flat Sandals Bohemian Beaded Summer Beach Sandals Comfortable",
        ],
        "loc": {
            "es": ["Sandalias de verano para mujer, planas, punta abierta, estilo romano"],
            "it": ["Sandali donna estivi con plateau e cinturino alla caviglia"],
            "ja": ["サンダル レディース 夏 厚底 ストラップ 歩きやすい カジュアル"],
        },
        "near": [
            "Gel Arch Support Insoles for Sandals Women Foot Pads 2 Pairs",
            "Women's Canvas Sneakers White Flat Casual Shoes Lace Up",
            "Beach Bag Women Large Straw Tote Summer Shoulder Bag",
        ],
    },
    {
        "key": "women_boots",
        "path": "shoes,women's shoes,women's boots",
        "q": {
            "en": ["women boots", "womens winter boots"],
            "es": ["botas mujer", "botas de invierno mujer"],
            "fr": ["bottes femme", "bottines femme hiver"],
            "pt": ["bota feminina", "bota de inverno feminina"],
            "de": ["damen stiefel", "winterstiefel damen"],
            "it": ["stivali donna", "stivaletti invernali donna"],
            "ja": ["ブーツ レディース", "ショートブーツ 冬"],
            "ko": ["여성 부츠", "겨울 앵클부츠"],
            "th": ["รองเท้าบูทผู้หญิง"],
        },
        "en": [
            "Women's Winter Ankle Boots Warm Plush Lined Snow Boots Non-slip Short Booties",
            "Chunky Heel Ankle Boots Women Winter Leather Chelsea Boots Platform",
            "Women Short Snow Boots Waterproof Winter Warm Fur Ankle Boots Flat",
        ],
        "loc": {
            "fr": ["Bottines femme hiver fourrées chaudes antidérapantes bottes de neige courtes"],
            "it": ["Stivaletti invernali da donna caldi foderati in peluche antiscivolo"],
            "ko": ["여성 겨울 앵클부츠 기모 방한 털 부츠 미끄럼 방지"],
        },
        "near": [
            "Boot Shaper Stands Inserts for Tall Boots 2 Pairs",
            "Women's Wool Thermal Socks Winter Warm Thick Socks 5 Pairs",
            "Waterproof Shoe Spray Protector for Suede Leather Boots 200ml",
        ],
    },
    # ------------------------------------------------------------------ jewelry & accessories
    {
        "key": "necklace",
        "path": "jewelry & accessories,fashion jewelry,necklaces",
        "alt": [
            "jewelry & accessories,necklaces & pendants,pendant necklaces",
        ],
        "q": {
            "en": ["gold necklace women", "necklace for women"],
            "es": ["collar de oro mujer", "collar mujer"],
            "fr": ["collier femme", "collier doré"],
            "pt": ["colar feminino", "colar dourado"],
            "de": ["halskette damen", "kette gold damen"],
            "it": ["collana donna", "collana oro"],
            "ja": ["ネックレス レディース", "ゴールド ネックレス"],
            "ko": ["여자 목걸이", "골드 목걸이"],
            "th": ["สร้อยคอผู้หญิง"],
        },
        "en": [
            "18K Gold Plated Stainless Steel Necklace for Women Heart Pendant Chain Jewelry Gift",
            "Fashion Layered Gold Color Chain Necklace Women Choker Pendant Jewelry",
            "Dainty Gold Necklace Women Minimalist Pearl Pendant Clavicle Chain",
        ],
        "loc": {
            "fr": ["Collier femme plaqué or 18K pendentif cœur chaîne en acier inoxydable"],
            "it": ["Collana donna in acciaio placcato oro 18K con ciondolo a cuore"],
            "ko": ["여자 목걸이 18K 골드 도금 하트 펜던트 체인 선물"],
        },
        "near": [
            "Jewelry Organizer Box Necklace Holder Display Stand Velvet",
            "Gold Plated Charm Bracelet for Women Adjustable Chain Bangle",
            "Necklace Extender Chain Gold Plated 5cm 10cm Lobster Clasp 10 Pcs",
        ],
        "hard": ["jewelry & accessories,fashion jewelry,bracelets & bangles"],
    },
    {
        "key": "earrings",
        "path": "jewelry & accessories,fashion jewelry,earrings",
        "alt": [
            "jewelry & accessories,fine jewelry,earrings",
        ],
        "q": {
            "en": ["gold hoop earrings", "earrings for women"],
            "es": ["aretes mujer", "arracadas"],
            "fr": ["boucles d'oreilles femme", "créoles dorées"],
            "pt": ["brinco feminino", "argola dourada"],
            "de": ["ohrringe damen", "creolen gold"],
            "it": ["orecchini donna", "orecchini a cerchio"],
            "ja": ["ピアス レディース", "フープピアス"],
            "ko": ["귀걸이", "링 귀걸이"],
            "th": ["ต่างหูผู้หญิง"],
        },
        "en": [
            "18K Gold Plated Hoop Earrings for Women Stainless Steel Chunky Hoops Jewelry",
            "Minimalist Small Gold Hoop Earrings Huggie Earrings Women Fashion Jewelry",
            "Trendy Big Gold Color Circle Hoop Earrings for Women Party Jewelry",
        ],
        "loc": {
            "es": ["Aretes de aro chapados en oro 18K para mujer, acero inoxidable"],
            "de": ["Creolen Ohrringe Damen 18K Vergoldet Edelstahl Modeschmuck"],
            "ja": ["フープピアス レディース 18K ゴールド ステンレス シンプル アクセサリー"],
        },
        "near": [
            "Earring Backs Replacement Silicone Stoppers 100 Pcs Ear Nuts",
            "Ear Piercing Gun Kit Disposable Sterile Stud Piercer Tool",
            "Acrylic Earring Display Stand Jewelry Holder Organizer Rack",
        ],
    },
    # ------------------------------------------------------------------ automobiles
    {
        "key": "dash_cam",
        "path": "automobiles, parts & accessories,car electronics,dvr/dash camera",
        "q": {
            "en": ["dash cam", "car dvr front and rear"],
            "es": ["camara dashcam auto", "dashcam coche"],
            "fr": ["dashcam voiture", "caméra embarquée voiture"],
            "pt": ["câmera veicular", "dashcam carro"],
            "de": ["dashcam auto", "autokamera dashcam"],
            "it": ["dashcam auto", "dash cam per auto"],
            "ja": ["ドライブレコーダー", "ドラレコ 前後"],
            "ko": ["블랙박스", "차량용 블랙박스"],
            "th": ["กล้องติดรถยนต์"],
        },
        "en": [
            "Dash Cam Front and Rear 4K Car DVR WiFi Night Vision Dashcam Video Recorder",
            "3.16 Inch Car DVR Dual Lens Front and Rear Camera 1080P Dash Cam Parking Monitor",
            "Mirror Dash Cam 10 Inch Touch Screen Front and Rear Camera Car Video Recorder",
        ],
        "loc": {
            "pt": ["Câmera veicular dashcam frontal e traseira 4K WiFi visão noturna"],
            "ja": ["ドライブレコーダー 前後2カメラ 4K WiFi 夜間撮影 駐車監視 ドラレコ"],
            "ko": ["차량용 블랙박스 전후방 2채널 4K 와이파이 야간 녹화"],
            "th": ["กล้องติดรถยนต์ หน้า-หลัง 4K WiFi บันทึกกลางคืนชัด"],
        },
        "near": [
            "Suction Cup Mount Holder for Dash Cam Car DVR Bracket",
            "64GB Micro SD Card for Dash Cam Class 10 High Speed Memory Card",
            "Car Dash Cam Hardwire Kit 12V to 5V Mini USB Power Cable",
        ],
        "hard": ["automobiles, parts & accessories,car electronics,car multimedia player"],
    },
    {
        "key": "car_towel",
        "path": "automobiles, parts & accessories,car wash & maintenance,sponges, cloths & brushes",
        "q": {
            "en": ["microfiber car towel", "car drying towel"],
            "es": ["toalla microfibra auto", "paño microfibra coche"],
            "fr": ["chiffon microfibre voiture", "serviette séchage voiture"],
            "pt": ["toalha microfibra carro", "pano de microfibra automotivo"],
            "de": ["mikrofasertuch auto", "trockentuch auto"],
            "it": ["panno microfibra auto", "asciugamano auto microfibra"],
            "ja": ["洗車 タオル", "マイクロファイバークロス 車"],
            "ko": ["세차 타월", "극세사 타월 차량용"],
            "th": ["ผ้าไมโครไฟเบอร์เช็ดรถ"],
        },
        "en": [
            "Microfiber Car Wash Towel 1200GSM Super Absorbent Drying Cloth Auto Detailing",
            "5/10 Pcs Microfiber Cleaning Cloth Car Care Polishing Towel Soft Detailing Rag",
            "Large Car Drying Towel Twisted Loop Microfiber Quick Dry 60x90cm",
        ],
        "loc": {
            "de": ["Mikrofasertuch Auto Trockentuch 1200GSM Extra Saugfähig Autopflege"],
            "it": ["Panno in microfibra per auto asciugamano assorbente per lavaggio auto"],
            "ja": ["洗車 タオル マイクロファイバー 吸水 大判 拭き上げ クロス"],
        },
        "near": [
            "Car Wash Shampoo Foam 500ml Concentrated Cleaning Liquid",
            "Car Wax Polish Crystal Coating Nano Ceramic Spray 500ml",
            "Microfiber Hair Towel Wrap Quick Dry Turban for Women",
        ],
        "hard": [
            "automobiles, parts & accessories,car wash & maintenance,paint care",
            "automobiles, parts & accessories,car wash & maintenance,car washer",
        ],
    },
    {
        "key": "seat_cover",
        "path": "automobiles, parts & accessories,interior accessories,automobiles seat covers",
        "q": {
            "en": ["car seat covers", "universal seat cover car"],
            "es": ["fundas para asientos de auto", "cubre asientos coche"],
            "fr": ["housse siège voiture", "housses de siège auto"],
            "pt": ["capa de banco carro", "capa banco automotivo"],
            "de": ["autositzbezüge", "sitzbezug auto"],
            "it": ["coprisedili auto", "fodere sedili auto"],
            "ja": ["シートカバー 車", "車用 シートカバー"],
            "ko": ["자동차 시트커버", "차량 시트 커버"],
            "th": ["ชุดหุ้มเบาะรถยนต์"],
        },
        "en": [
            "Universal Car Seat Covers Full Set PU Leather 5 Seats Auto Cushion Protector",
            "Breathable Fabric Car Seat Cover Universal Front and Rear Seat Protector Full Set",
            "Luxury Leather Car Seat Covers Universal Fit for Sedan SUV Waterproof Interior",
        ],
        "loc": {
            "es": ["Fundas universales para asientos de auto, juego completo de cuero PU"],
            "fr": ["Housses de siège auto universelles en cuir PU, jeu complet 5 places"],
            "th": ["ชุดหุ้มเบาะรถยนต์ หนัง PU ครบชุด 5 ที่นั่ง ใส่ได้ทุกรุ่น"],
        },
        "near": [
            "Car Steering Wheel Cover Leather Anti-slip 38cm Universal",
            "Car Seat Gap Filler Organizer Leather Storage Box",
            "Car Seat Back Organizer with Tablet Holder Kick Mat",
        ],
    },
    {
        "key": "car_phone_holder",
        "path": "automobiles, parts & accessories,interior accessories,car phone holders",
        "alt": [
            "phones & telecommunications,mobile phone accessories,phone holders & stands",
        ],
        "q": {
            "en": ["car phone holder", "phone mount for car"],
            "es": ["soporte celular auto", "porta celular para carro"],
            "fr": ["support téléphone voiture", "support portable voiture"],
            "pt": ["suporte celular carro", "suporte veicular celular"],
            "de": ["handyhalterung auto", "kfz handyhalter"],
            "it": ["porta cellulare auto", "supporto telefono auto"],
            "ja": ["スマホホルダー 車", "車載ホルダー"],
            "ko": ["차량용 휴대폰 거치대", "차량 거치대"],
            "th": ["ที่วางโทรศัพท์ในรถ"],
        },
        "en": [
            "Magnetic Car Phone Holder Air Vent Mount 360 Rotation for iPhone Samsung Xiaomi",
            "Universal Car Phone Holder Dashboard Suction Cup Mount Stand for Mobile Phone",
            "Gravity Car Phone Mount Air Outlet Clip Holder for 4.7-7 Inch Smartphones",
        ],
        "loc": {
            "es": ["Soporte de celular para auto magnético, rejilla de ventilación, giro 360°"],
            "it": ["Porta cellulare da auto magnetico per bocchetta aria, rotazione 360°"],
            "ko": ["차량용 휴대폰 거치대 송풍구 마그네틱 360도 회전 거치대"],
        },
        "near": [
            "Desktop Phone Stand Adjustable Aluminum Holder for iPhone iPad",
            "Bike Phone Holder Handlebar Mount Motorcycle Phone Clip",
            "Car Air Vent Clip Perfume Diffuser Air Freshener",
        ],
    },
    # ------------------------------------------------------------------ sports & entertainment
    {
        "key": "yoga_mat",
        "path": "sports & entertainment,fitness & body building,yoga,yoga mats",
        "q": {
            "en": ["yoga mat", "yoga matt thick"],
            "es": ["tapete de yoga", "esterilla yoga"],
            "fr": ["tapis de yoga", "tapis yoga épais"],
            "pt": ["tapete de yoga", "colchonete yoga"],
            "de": ["yogamatte", "yoga matte rutschfest"],
            "it": ["tappetino yoga", "materassino yoga"],
            "ja": ["ヨガマット", "ヨガマット 厚手"],
            "ko": ["요가매트", "두꺼운 요가 매트"],
            "th": ["เสื่อโยคะ"],
        },
        "en": [
            "10mm Thick Yoga Mat Non-slip TPE Exercise Mat for Pilates Fitness Gym Home",
            "Extra Thick NBR Yoga Mat 183x61cm Anti-Slip Fitness Workout Mat with Strap",
            "Eco Friendly Thick TPE Yoga Mat Double Layer Non Slip Pilates Mat Position Lines",
        ],
        "loc": {
            "es": ["Tapete de yoga grueso 10mm antideslizante TPE para pilates y ejercicio"],
            "pt": ["Tapete de yoga grosso 10mm antiderrapante TPE para pilates e academia"],
            "ja": ["ヨガマット 10mm 厚手 TPE 滑り止め ピラティス トレーニング 収納ベルト付き"],
        },
        "near": [
            "Yoga Mat Strap Adjustable Carrying Sling Belt",
            "Non-slip Yoga Socks with Grips for Women Pilates Barre",
            "Cork Yoga Block Brick High Density Exercise Prop",
        ],
        "hard": ["sports & entertainment,fitness & body building,yoga,yoga blocks"],
    },
    {
        "key": "resistance_band",
        "path": "sports & entertainment,fitness & body building,fitness equipments,"
        "resistance bands",
        "q": {
            "en": ["resistance bands", "exercise bands"],
            "es": ["ligas de resistencia", "bandas elasticas ejercicio"],
            "fr": ["bande de résistance", "élastique musculation"],
            "pt": ["elástico para exercícios", "faixa elástica academia"],
            "de": ["fitnessbänder", "widerstandsbänder"],
            "it": ["elastici fitness", "bande elastiche fitness"],
            "ja": ["トレーニングチューブ", "エクササイズバンド"],
            "ko": ["운동 밴드", "저항 밴드"],
            "th": ["ยางยืดออกกำลังกาย"],
        },
        "en": [
            "Resistance Bands Set 5 Levels Latex Exercise Loop Bands for Home Gym Fitness",
            "11Pcs Resistance Tube Bands Set with Handles Door Anchor Workout Equipment",
            "Fabric Resistance Loop Bands Non-slip Booty Bands for Legs and Glutes 3 Pcs",
        ],
        "loc": {
            "de": ["Widerstandsbänder Set 5 Stärken Fitnessbänder aus Latex für Zuhause"],
            "it": ["Set di bande elastiche fitness 5 livelli in lattice per allenamento a casa"],
            "ko": ["운동 밴드 세트 5단계 라텍스 저항 밴드 홈트 필라테스"],
        },
        "near": [
            "Adjustable Dumbbells Pair 10kg Home Gym Weights",
            "Ab Roller Wheel Abdominal Exercise Equipment with Knee Mat",
            "Hair Tie Elastic Bands 100 Pcs Seamless Hair Ropes for Women",
        ],
    },
    # ------------------------------------------------------------------ toys & hobbies
    {
        "key": "building_blocks",
        "path": "toys & hobbies,building & construction toys,blocks",
        "alt": [
            "toys & hobbies,building & construction toys,blocks,model building kits",
        ],
        "q": {
            "en": ["building blocks", "lego compatible bricks"],
            "es": ["bloques de construccion", "legos compatibles"],
            "fr": ["jeu de construction briques", "lego compatible"],
            "pt": ["blocos de montar", "lego compatível"],
            "de": ["klemmbausteine", "bausteine kinder"],
            "it": ["mattoncini costruzioni", "lego compatibili"],
            "ja": ["ブロック おもちゃ", "レゴ 互換"],
            "ko": ["레고 호환 블럭", "블록 장난감"],
            "th": ["ตัวต่อเลโก้"],
        },
        "en": [
            "1000Pcs Building Blocks Set Creative Classic Bricks Compatible with Lego Kids Toys",
            "City Police Station Building Blocks Model Bricks Toys Compatible Lego Gift for Boys",
            "Technic Sports Car Building Blocks 1:14 MOC Bricks Kit Compatible Lego Adults",
        ],
        "loc": {
            "fr": ["Jeu de construction 1000 pièces briques classiques compatibles Lego enfant"],
            "de": ["Klemmbausteine Technik Sportwagen 1:14 MOC Bausteine Set kompatibel mit Lego"],
            "ja": ["ブロック おもちゃ 1000ピース レゴ互換 クラシック 知育玩具 子供 プレゼント"],
        },
        "near": [
            "Acrylic Display Case for Lego Minifigures Dustproof Showcase Box",
            "Storage Bag Play Mat for Lego Bricks Toy Organizer Drawstring",
            "LED Light Kit for Lego Technic Sports Car Model Lights Only",
        ],
    },
    {
        "key": "rc_car",
        "path": "toys & hobbies,remote control toys,rc cars",
        "alt": [
            "toys & hobbies,remote control toys,rc trucks",
        ],
        "q": {
            "en": ["rc car", "remote control car"],
            "es": ["carro control remoto", "coche teledirigido"],
            "fr": ["voiture télécommandée", "voiture rc 4x4"],
            "pt": ["carrinho de controle remoto", "carro rc"],
            "de": ["ferngesteuertes auto", "rc auto offroad"],
            "it": ["macchina radiocomandata", "auto rc"],
            "ja": ["ラジコンカー", "ラジコン オフロード"],
            "ko": ["rc카", "무선조종 자동차"],
            "th": ["รถบังคับวิทยุ"],
        },
        "en": [
            "1:16 RC Car 4WD Off Road Remote Control Truck 2.4G High Speed Monster Truck Toy",
            "WLtoys 144001 1:14 RC Car 4WD 60km/h Off-Road Drift Racing Car",
            "Remote Control Car 4x4 Off Road Climbing Car LED Lights Kids Toy Gift",
        ],
        "loc": {
            "pt": ["Carrinho de controle remoto 4x4 off-road 1:16 alta velocidade"],
            "ja": ["ラジコンカー オフロード 4WD 1:16 高速 2.4G 子供 おもちゃ"],
            "ko": ["RC카 4륜구동 오프로드 1:16 고속 무선조종 자동차"],
        },
        "near": [
            "Remote Control Drone with 4K Camera Foldable Quadcopter",
            "Die-cast 1:32 Alloy Car Model Toy Pull Back Cars",
            "7.4V 1500mAh Li-ion Battery for RC Car Replacement",
        ],
        "hard": ["toys & hobbies,remote control toys,rc helicopters"],
    },
    # ------------------------------------------------------------------ beauty & health
    {
        "key": "lipstick",
        "path": "beauty & health,makeup,lips,lipstick",
        "q": {
            "en": ["matte lipstick", "lipstick waterproof long lasting"],
            "es": ["labial mate", "lapiz labial"],
            "fr": ["rouge à lèvres mat", "rouge a levre"],
            "pt": ["batom matte", "batom"],
            "de": ["lippenstift matt", "lippenstift"],
            "it": ["rossetto opaco", "rossetto"],
            "ja": ["口紅 マット", "リップスティック"],
            "ko": ["매트 립스틱", "립스틱"],
            "th": ["ลิปสติกเนื้อแมตต์"],
        },
        "en": [
            "Matte Velvet Lipstick Waterproof Long Lasting Nude Red Lip Stick Makeup",
            "12 Colors Matte Lipstick Set Non-stick Cup Waterproof Long-lasting Lip Makeup",
            "Velvet Matte Lipstick Pencil Waterproof Long Lasting Lip Liner Lipstick 2 in 1",
        ],
        "loc": {
            "es": ["Labial mate aterciopelado a prueba de agua, larga duración, tonos nude y rojo"],
            "pt": ["Batom matte aveludado à prova d'água longa duração cores nude e vermelho"],
            "ko": ["매트 벨벳 립스틱 방수 롱래스팅 누드 레드 립 메이크업"],
            "th": ["ลิปสติกเนื้อแมตต์ กันน้ำ ติดทนนาน สีนู้ด สีแดง"],
        },
        "near": [
            "Lip Balm Moisturizing Repair Colorless Chapstick 3 Pcs",
            "Makeup Brush Set 14 Pcs Foundation Eyeshadow Brushes",
            "Lipstick Organizer Acrylic 24 Slots Makeup Storage Holder",
        ],
        "hard": ["beauty & health,makeup,lips,lip balm"],
    },
    {
        "key": "mascara",
        "path": "beauty & health,makeup,eyes,mascara",
        "q": {
            "en": ["mascara waterproof", "lengthening mascara"],
            "es": ["rimel a prueba de agua", "mascara de pestañas"],
            "fr": ["mascara waterproof", "mascara allongeant"],
            "pt": ["rímel à prova d'água", "máscara de cílios"],
            "de": ["wimperntusche wasserfest", "mascara"],
            "it": ["mascara waterproof", "mascara allungante"],
            "ja": ["マスカラ ウォータープルーフ", "ロング マスカラ"],
            "ko": ["워터프루프 마스카라", "마스카라"],
            "th": ["มาสคาร่ากันน้ำ"],
        },
        "en": [
            "4D Silk Fiber Mascara Waterproof Lengthening Black Thick Curling Eyelash Makeup",
            "Waterproof Long Lasting Mascara Volume Lengthening Eyelashes Smudge-proof",
            "Black Lengthening Mascara Waterproof Quick Dry Curling Lash Extension Makeup",
        ],
        "loc": {
            "es": ["Rímel 4D de fibra de seda a prueba de agua, alargador de pestañas"],
            "it": ["Mascara waterproof allungante 4D fibra di seta nero a lunga tenuta"],
            "ja": ["マスカラ ウォータープルーフ ロング カール キープ 4D ファイバー ブラック"],
        },
        "near": [
            "False Eyelashes 10 Pairs Natural Long Mink Lashes Reusable",
            "Eyelash Curler with Refill Pads Stainless Steel",
            "Waterproof Liquid Eyeliner Pen Black Long Lasting Quick Dry",
        ],
        "hard": [
            "beauty & health,makeup,eyes,eyeliner",
            "beauty & health,makeup,eyes,false eyelashes",
        ],
    },
    {
        "key": "face_serum",
        "path": "beauty & health,skin care,face,serum",
        "alt": [
            "beauty & health,skin care,face,essence",
        ],
        "q": {
            "en": ["vitamin c serum", "face serum"],
            "es": ["serum vitamina c", "sérum facial"],
            "fr": ["sérum visage", "serum vitamine c"],
            "pt": ["sérum vitamina c", "serum facial"],
            "de": ["vitamin c serum gesicht", "gesichtsserum"],
            "it": ["siero viso", "siero vitamina c"],
            "ja": ["美容液 ビタミンc", "美容液"],
            "ko": ["비타민c 세럼", "앰플"],
            "th": ["เซรั่มวิตามินซี"],
        },
        "en": [
            "Vitamin C Face Serum Brightening Hyaluronic Acid Anti-Aging Facial Essence 30ml",
            "20% Vitamin C Serum for Face Dark Spot Remover Moisturizing Skin Care",
            "Niacinamide Vitamin C Serum Brightening Facial Essence Shrink Pores Skin Care",
        ],
        "loc": {
            "fr": ["Sérum visage vitamine C éclaircissant acide hyaluronique anti-âge 30ml"],
            "ja": ["美容液 ビタミンC ヒアルロン酸 美白 保湿 エイジングケア 30ml"],
            "ko": ["비타민C 세럼 미백 히알루론산 보습 앰플 30ml 스킨케어"],
        },
        "near": [
            "Vitamin C Gummies Immune Support Supplement 60 Pcs",
            "Hyaluronic Acid Face Cream Moisturizer Day Cream 50g",
            "Empty Glass Dropper Bottles 30ml for Essential Oils 6 Pcs",
        ],
        "hard": ["beauty & health,skin care,face,facial cream"],
    },
    # ------------------------------------------------------------------ computer & office
    {
        "key": "keyboard",
        "path": "computer & office,mouse & keyboards,keyboards",
        "q": {
            "en": ["mechanical keyboard", "wireless keyboard"],
            "es": ["teclado mecanico", "teclado inalambrico"],
            "fr": ["clavier mécanique", "clavier sans fil"],
            "pt": ["teclado mecânico", "teclado gamer"],
            "de": ["mechanische tastatur", "tastatur kabellos"],
            "it": ["tastiera meccanica", "tastiera wireless"],
            "ja": ["メカニカルキーボード", "ワイヤレスキーボード"],
            "ko": ["기계식 키보드", "무선 키보드"],
            "th": ["คีย์บอร์ดเกมมิ่ง"],
        },
        "en": [
            "Aula F75 Wireless Mechanical Keyboard Tri-Mode Bluetooth 2.4G Hot Swap RGB Gaming",
            "75% Wireless Mechanical Gaming Keyboard Gasket Mount Hot-Swappable RGB Backlit",
            "Tri-mode Bluetooth Wireless Mechanical Keyboard 68 Keys Compact RGB for PC Mac",
        ],
        "loc": {
            "pt": ["Teclado mecânico gamer sem fio tri-mode Bluetooth 2.4G RGB hot swap"],
            "de": ["Mechanische Tastatur Kabellos Tri-Mode Bluetooth 2.4G Hot Swap RGB Gaming"],
            "th": ["คีย์บอร์ดเกมมิ่ง ไร้สาย บลูทูธ 2.4G คีย์บอร์ดแมคคานิคอล RGB"],
        },
        "near": [
            "PBT Keycaps Set 129 Keys Cherry Profile for Mechanical Keyboard",
            "Wrist Rest for Keyboard Memory Foam Ergonomic Pad",
            "Keyboard Cleaning Kit Keycap Puller Brush 7 in 1",
        ],
        "hard": ["computer & office,mouse & keyboards,keycaps"],
    },
    {
        "key": "mouse",
        "path": "computer & office,mouse & keyboards,mice",
        "q": {
            "en": ["wireless mouse", "gaming mouse"],
            "es": ["mouse inalambrico", "raton gaming"],
            "fr": ["souris sans fil", "souris gamer"],
            "pt": ["mouse sem fio", "mouse gamer"],
            "de": ["kabellose maus", "gaming maus"],
            "it": ["mouse wireless", "mouse da gaming"],
            "ja": ["ワイヤレスマウス", "ゲーミングマウス"],
            "ko": ["무선 마우스", "게이밍 마우스"],
            "th": ["เมาส์ไร้สาย"],
        },
        "en": [
            "Wireless Gaming Mouse 2.4G Bluetooth Rechargeable RGB 4000DPI Silent Mouse for PC",
            "Attack Shark X3 Wireless Gaming Mouse PAW3395 Tri-Mode Lightweight 26000DPI",
            "Rechargeable Wireless Mouse Bluetooth Dual Mode Ergonomic Gaming Mice RGB",
        ],
        "loc": {
            "es": ["Mouse inalámbrico gamer recargable 2.4G Bluetooth RGB 4000 DPI"],
            "fr": ["Souris gamer sans fil 2.4G Bluetooth rechargeable RGB 4000 DPI silencieuse"],
            "ja": ["ワイヤレスマウス ゲーミングマウス 充電式 Bluetooth 2.4G 静音 RGB"],
        },
        "near": [
            "Large Gaming Mouse Pad XXL 900x400mm Desk Mat",
            "Mouse Grip Tape Anti-Slip Stickers for Gaming Mouse",
            "Humane Mouse Trap Live Catch Rodent Cage Reusable",
        ],
        "hard": ["computer & office,mouse & keyboards,mouse pads"],
    },
    # ------------------------------------------------------------------ luggage & bags
    {
        "key": "backpack",
        "path": "luggage & bags,backpacks",
        "q": {
            "en": ["laptop backpack", "school backpack"],
            "es": ["mochila para laptop", "mochila escolar"],
            "fr": ["sac à dos ordinateur", "sac a dos école"],
            "pt": ["mochila notebook", "mochila escolar"],
            "de": ["rucksack laptop", "schulrucksack"],
            "it": ["zaino porta pc", "zaino scuola"],
            "ja": ["リュック 通学", "リュック pc"],
            "ko": ["노트북 백팩", "학생 백팩"],
            "th": ["กระเป๋าเป้โน๊ตบุ๊ค"],
        },
        "en": [
            "Waterproof Laptop Backpack 15.6 Inch USB Charging School Bag Travel Business Backpack",
            "Men's Large Capacity Backpack Laptop 17 Inch Travel School Bags for Teenagers",
            "Casual Women Backpack Laptop Bag College School Backpack Anti Theft",
        ],
        "loc": {
            "pt": ["Mochila para notebook 15.6 polegadas impermeável com USB escolar e viagem"],
            "it": ["Zaino porta PC 15,6 pollici impermeabile con porta USB, zaino scuola viaggio"],
            "ko": ["노트북 백팩 15.6인치 방수 USB 충전 학생 여행 가방"],
        },
        "near": [
            "Laptop Sleeve Case 15.6 Inch Waterproof Notebook Bag Cover",
            "Rain Cover for Backpack Waterproof 35L Dust Cover",
            "Pencil Case Large Capacity School Stationery Pouch",
        ],
        "hard": ["luggage & bags,coin purses & holders"],
    },
    {
        "key": "suitcase",
        "path": "luggage & bags,luggage & travel bags,rolling luggage",
        "alt": [
            "luggage & bags,luggage & travel bags,carry-ons",
        ],
        "q": {
            "en": ["carry on luggage", "suitcase 20 inch"],
            "es": ["maleta de viaje", "maleta de cabina"],
            "fr": ["valise cabine", "valise à roulettes"],
            "pt": ["mala de viagem", "mala de bordo"],
            "de": ["koffer handgepäck", "trolley koffer"],
            "it": ["valigia trolley", "trolley bagaglio a mano"],
            "ja": ["スーツケース 機内持ち込み", "キャリーケース"],
            "ko": ["캐리어 20인치", "기내용 캐리어"],
            "th": ["กระเป๋าเดินทางล้อลาก"],
        },
        "en": [
            "20 Inch Carry On Luggage Spinner Wheels Hardside Suitcase with TSA Lock Travel",
            "Aluminum Frame Rolling Luggage 20 24 28 Inch Cabin Suitcase Trolley Case",
            "Front Opening Carry-on Suitcase 20 Inch USB Port Cup Holder Travel Luggage",
        ],
        "loc": {
            "it": ["Valigia trolley 20 pollici bagaglio a mano rigido con lucchetto TSA"],
            "ja": ["スーツケース 機内持ち込み 20インチ キャリーケース TSAロック 静音キャスター"],
            "th": ["กระเป๋าเดินทางล้อลาก 20 นิ้ว ขึ้นเครื่องได้ ล็อค TSA"],
        },
        "near": [
            "Luggage Cover Elastic Suitcase Protector 18-32 Inch Dustproof",
            "Packing Cubes 6 Set Travel Organizer Bags for Suitcase",
            "Leather Luggage Tag Name ID Card Holder for Suitcase",
        ],
    },
    # ------------------------------------------------------------------ watches
    {
        "key": "men_watch",
        "path": "watches,men's watches,quartz watches",
        "q": {
            "en": ["mens watch", "quartz watch men"],
            "es": ["reloj hombre", "reloj de cuarzo"],
            "fr": ["montre homme", "montre quartz"],
            "pt": ["relógio masculino", "relogio de pulso"],
            "de": ["herrenuhr", "armbanduhr herren"],
            "it": ["orologio uomo", "orologio al quarzo"],
            "ja": ["腕時計 メンズ", "クォーツ 腕時計"],
            "ko": ["남자 손목시계", "남성 시계"],
            "th": ["นาฬิกาข้อมือผู้ชาย"],
        },
        "en": [
            "CURREN Men's Quartz Watch Stainless Steel Waterproof Chronograph Business Wristwatch",
            "Luxury Men Watches Quartz Wrist Watch Leather Strap Date Waterproof Casual",
            "Minimalist Ultra Thin Men Quartz Watch Mesh Band Fashion Business Clock",
        ],
        "loc": {
            "es": ["Reloj de cuarzo para hombre de acero inoxidable, resistente al agua"],
            "de": ["Herrenuhr Quarz Edelstahl Wasserdicht Chronograph Armbanduhr Business"],
            "ko": ["남자 손목시계 쿼츠 스테인리스 방수 크로노그래프 비즈니스 시계"],
        },
        "near": [
            "Watch Repair Tool Kit Case Opener Link Remover Spring Bar Tool",
            "Watch Box 12 Slots Leather Display Storage Case",
            "CR2032 Button Cell Battery 3V for Watches 10 Pcs",
        ],
        "hard": ["watches,watches accessories,watch boxes"],
        "avoid": ["smartwatch"],
    },
    {
        "key": "watchband",
        "path": "watches,watches accessories,watchbands",
        "q": {
            "en": ["apple watch band", "apple watch strap 45mm"],
            "es": ["correa apple watch", "pulsera apple watch"],
            "fr": ["bracelet apple watch", "bracelet montre apple"],
            "pt": ["pulseira apple watch", "pulseira iwatch"],
            "de": ["apple watch armband", "armband apple watch 45mm"],
            "it": ["cinturino apple watch", "cinturino iwatch"],
            "ja": ["アップルウォッチ バンド", "apple watch ベルト"],
            "ko": ["애플워치 스트랩", "애플워치 밴드"],
            "th": ["สายนาฬิกา apple watch"],
        },
        "en": [
            "Silicone Strap for Apple Watch Band 45mm 44mm 41mm 49mm Sport Bracelet iWatch 9 8",
            "Magnetic Leather Loop Band for Apple Watch Strap 45mm 41mm 44mm iWatch Ultra 2",
            "Nylon Sport Loop for Apple Watch Band 44mm 45mm 41mm 49mm Bracelet iWatch Series",
        ],
        "loc": {
            "fr": ["Bracelet en silicone pour Apple Watch 45mm 44mm 41mm sport iWatch série 9 8 7"],
            "it": ["Cinturino in silicone per Apple Watch 45mm 44mm 41mm sport iWatch serie 9 8 7"],
            "ja": ["アップルウォッチ バンド シリコン 45mm 44mm 41mm スポーツ ベルト Series 9 8 7"],
            "ko": ["애플워치 스트랩 실리콘 스포츠 밴드 45mm 44mm 41mm 시리즈 9 8 7 SE"],
        },
        "near": [
            "Tempered Glass Screen Protector Case for Apple Watch 45mm 41mm Series 9 8 7",
            "Magnetic Charging Cable for Apple Watch Fast Charger USB C 1M",
            "Silicone Band for Samsung Galaxy Watch 6 5 4 20mm Sport Strap",
        ],
        "avoid": ["smartwatch"],
    },
    # ------------------------------------------------------------------ mother & kids
    {
        "key": "baby_bottle",
        "path": "mother & kids,feeding,bottles",
        "alt": [
            "mother & kids,feeding,bottles,baby bottles",
        ],
        "q": {
            "en": ["baby bottle", "anti colic baby bottle"],
            "es": ["biberon", "biberones anticolicos"],
            "fr": ["biberon bébé", "biberon anti colique"],
            "pt": ["mamadeira", "mamadeira anticólica"],
            "de": ["babyflasche", "babyflasche anti kolik"],
            "it": ["biberon neonato", "biberon anticolica"],
            "ja": ["哺乳瓶", "哺乳瓶 新生児"],
            "ko": ["젖병", "신생아 젖병"],
            "th": ["ขวดนมเด็ก"],
        },
        "en": [
            "Anti-Colic Baby Bottle 240ml PPSU Wide Neck Newborn Feeding Bottle Silicone Nipple",
            "Glass Baby Bottle Anti Colic 150ml 240ml BPA Free Newborn Infant Feeding Bottle",
            "Newborn Baby Feeding Bottle Anti-colic Silicone Bottle 160ml with Handle",
        ],
        "loc": {
            "pt": ["Mamadeira anticólica 240ml PPSU bico largo de silicone para recém-nascido"],
            "de": ["Babyflasche Anti-Kolik 240ml PPSU Weithals mit Silikonsauger für Neugeborene"],
            "ko": ["신생아 젖병 배앓이 방지 PPSU 240ml 와이드넥 실리콘 젖꼭지"],
            "th": ["ขวดนมเด็กแรกเกิด ป้องกันโคลิค PPSU 240ml คอกว้าง จุกซิลิโคน"],
        },
        "near": [
            "Replacement Silicone Nipples for Wide Neck Baby Bottle 2 Pcs",
            "Baby Bottle Drying Rack with Drainer Countertop Holder",
            "Kids Water Bottle with Straw 500ml Leakproof School Cup",
        ],
        "hard": ["mother & kids,feeding,pacifiers", "mother & kids,feeding,bibs & burp cloths"],
    },
    # ------------------------------------------------------------------ tools
    {
        "key": "drill",
        "path": "tools,power tools,electric drills",
        "q": {
            "en": ["cordless drill", "electric drill"],
            "es": ["taladro inalambrico", "taladro percutor"],
            "fr": ["perceuse sans fil", "perceuse visseuse"],
            "pt": ["furadeira sem fio", "parafusadeira e furadeira"],
            "de": ["akkuschrauber", "bohrmaschine akku"],
            "it": ["trapano avvitatore", "trapano a batteria"],
            "ja": ["電動ドリル", "充電式 ドリルドライバー"],
            "ko": ["무선 드릴", "충전 드릴"],
            "th": ["สว่านไร้สาย"],
        },
        "en": [
            "21V Cordless Impact Drill Electric Screwdriver 2 Speed Lithium Battery Power Drill",
            "Brushless Cordless Impact Drill 13mm Hammer Drill Driver for Makita 18V Battery",
            "Electric Cordless Impact Drill Driver Rechargeable with 2 Batteries and Bits Case",
        ],
        "loc": {
            "es": ["Taladro percutor inalámbrico 21V con 2 baterías de litio y maletín"],
            "pt": ["Furadeira e parafusadeira de impacto sem fio 21V com 2 baterias"],
            "ja": ["電動ドリル 充電式 21V インパクト ドリルドライバー バッテリー2個付き"],
        },
        "near": [
            "HSS Drill Bit Set 13 Pcs Titanium Coated Metal Wood Drilling",
            "Cordless Angle Grinder 125mm Brushless for Makita 18V Battery",
            "21V Lithium Battery Replacement for Cordless Drill 2000mAh",
        ],
        "hard": ["tools,power tools,angle grinder", "tools,power tools,heat guns"],
    },
    # ------------------------------------------------------------------ pet products
    {
        "key": "dog_harness",
        "path": "pet products,dog collars, harnesses & leads,harnesses",
        "alt": [
            "pet products,dog collars, harnesses & leads,harnesses,harness vests",
        ],
        "q": {
            "en": ["dog harness", "no pull dog harness"],
            "es": ["pechera para perro", "arnes perro"],
            "fr": ["harnais chien", "harnais anti traction"],
            "pt": ["peitoral para cachorro", "peitoral cachorro pequeno"],
            "de": ["hundegeschirr", "geschirr hund klein"],
            "it": ["pettorina cane", "pettorina cani piccoli"],
            "ja": ["犬 ハーネス", "ハーネス 小型犬"],
            "ko": ["강아지 하네스", "소형견 하네스"],
            "th": ["สายรัดอกสุนัข"],
        },
        "en": [
            "No Pull Dog Harness Adjustable Reflective Vest Harness for Small Medium Large Dogs",
            "Breathable Mesh No Pull Dog Harness and Leash Set for Small Dogs Puppy Chihuahua",
            "Reflective Nylon Dog Harness No Pull Front Clip Pet Vest S M L XL",
        ],
        "loc": {
            "es": ["Pechera para perro antitirones ajustable y reflectante para perros pequeños"],
            "de": ["Hundegeschirr Anti-Zug Verstellbar Reflektierend für Kleine Mittlere Hunde"],
            "ja": ["犬 ハーネス 小型犬 中型犬 引っ張り防止 反射 メッシュ 胴輪"],
            "ko": ["강아지 하네스 소형견 중형견 당김방지 반사 메쉬 가슴줄"],
        },
        "near": [
            "Retractable Dog Leash 5m Automatic Extending Lead",
            "Personalized Leather Dog Collar with Engraved Name Plate",
            "Cat Harness and Leash Set Escape Proof Kitten Vest",
        ],
        "hard": [
            "pet products,dog collars, harnesses & leads,leashes",
            "pet products,dog collars, harnesses & leads,collars",
        ],
    },
    {
        "key": "cat_toy",
        "path": "pet products,cat supplies,cat toys",
        "q": {
            "en": ["cat toy", "interactive cat toys"],
            "es": ["juguetes para gatos", "juguete gato"],
            "fr": ["jouet chat", "jouets pour chat"],
            "pt": ["brinquedo para gato", "brinquedos gato"],
            "de": ["katzenspielzeug", "spielzeug katze"],
            "it": ["giochi per gatti", "gioco gatto"],
            "ja": ["猫 おもちゃ", "猫用 おもちゃ"],
            "ko": ["고양이 장난감", "고양이 놀이 장난감"],
            "th": ["ของเล่นแมว"],
        },
        "en": [
            "Interactive Cat Toy Feather Teaser Wand with Bell Kitten Playing Stick",
            "Smart Automatic Cat Toy Ball Rolling Electric Interactive Toys for Indoor Cats",
            "Catnip Toys for Cats Plush Fish Chew Toy Kitten Interactive Play 3 Pcs",
        ],
        "loc": {
            "fr": ["Jouet chat interactif balle roulante automatique pour chats d'intérieur"],
            "it": ["Gioco per gatti interattivo con piume e campanellino, bacchetta per gattini"],
            "ja": ["猫 おもちゃ 猫じゃらし 羽根 鈴付き 一人遊び 室内"],
        },
        "near": [
            "Cat Litter Box Fully Enclosed Large Toilet with Scoop",
            "Dog Squeaky Chew Toys Rubber Bone Durable 5 Pcs",
            "Raised Ceramic Cat Food Bowl Tilted Pet Feeder",
        ],
        "hard": ["pet products,cat supplies,cat litter", "pet products,cat supplies,cat bowls"],
    },
    # ------------------------------------------------------------------ lights & lighting
    {
        "key": "led_strip",
        "path": "lights & lighting,led lighting,led strips",
        "alt": [
            "lights & lighting,led lighting,led strips,rgb led strips",
        ],
        "q": {
            "en": ["led strip lights", "rgb led strip"],
            "es": ["tira led", "tira led rgb"],
            "fr": ["ruban led", "bande led rgb"],
            "pt": ["fita led", "fita led rgb"],
            "de": ["led streifen", "led strip rgb"],
            "it": ["striscia led", "strisce led rgb"],
            "ja": ["ledテープライト", "テープライト rgb"],
            "ko": ["led 스트립", "led 줄조명"],
            "th": ["ไฟเส้น led"],
        },
        "en": [
            "5M 10M LED Strip Lights RGB 5050 Bluetooth App Control Flexible Tape Light for Room",
            "RGB LED Strip 20M Music Sync Bluetooth Color Changing Lights for Bedroom TV",
            "USB LED Strip Light RGB 5V TV Backlight Flexible Tape Bluetooth Control 1M 2M 3M",
        ],
        "loc": {
            "es": ["Tira de luces LED RGB 5050 de 10M con control por Bluetooth para habitación"],
            "de": ["LED Streifen 10M RGB 5050 Bluetooth App Steuerung Lichtband für Zimmer"],
            "ja": ["LEDテープライト RGB 10m Bluetooth アプリ制御 音楽同期 間接照明"],
            "th": ["ไฟเส้น LED RGB 10 เมตร ควบคุมผ่านบลูทูธ ซิงค์เพลง"],
        },
        "near": [
            "LED Strip Connector 4 Pin 10mm Solderless Clip 10 Pcs",
            "12V 5A Power Supply Adapter for LED Strip Transformer",
            "E27 LED Bulb 12W Warm White Energy Saving Lamp",
        ],
        "hard": ["lights & lighting,led lighting,led bulbs & tubes"],
    },
]


# ---------------------------------------------------------------------------------------------
# Row building
# ---------------------------------------------------------------------------------------------

_LEVEL_SEPARATOR = re.compile(r",(?! )")


def levels(path: str) -> list[str]:
    return _LEVEL_SEPARATOR.split(path)


def top(path: str) -> str:
    return levels(path)[0]


def siblings(concept: dict, depth: int) -> list[dict]:
    """Other concepts whose path shares the first ``depth`` levels with this one's."""
    head = levels(concept["path"])[:depth]
    return [
        other
        for other in CONCEPTS
        if other["key"] != concept["key"] and levels(other["path"])[:depth] == head
    ]


def hard_paths(concept: dict) -> list[str]:
    """Near-miss category paths: siblings under the same two (else one) top levels."""
    close = siblings(concept, 2) or siblings(concept, 1)
    return [other["path"] for other in close] + concept.get("hard", [])


def hard_titles(concept: dict, lang: str) -> list[str]:
    """Near-miss titles: the concept's own look-alikes plus titles of two-level siblings."""
    titles = list(concept["near"])
    for other in siblings(concept, 2):
        titles.extend(other["en"][:1])
        titles.extend(other.get("loc", {}).get(lang, []))
    return titles


def unrelated(concept: dict) -> list[dict]:
    """Concepts under another top-level category and not marked as too close."""
    avoid = set(concept.get("avoid", []))
    return [
        other
        for other in CONCEPTS
        if top(other["path"]) != top(concept["path"])
        and other["key"] not in avoid
        and concept["key"] not in other.get("avoid", [])
    ]


def pick_title(rng: random.Random, concept: dict, lang: str) -> str:
    local = concept.get("loc", {}).get(lang, [])
    if local and rng.random() < P_LOCAL_TITLE:
        return rng.choice(local)
    return rng.choice(concept["en"])


def concept_order(rng: random.Random) -> list[dict]:
    """All concepts, grouped by top-level category (groups and members in shuffled order)."""
    tops = sorted({top(c["path"]) for c in CONCEPTS})
    rng.shuffle(tops)
    order = []
    for name in tops:
        members = [c for c in CONCEPTS if top(c["path"]) == name]
        rng.shuffle(members)
        order.extend(members)
    return order


def positive_pairs(
    order: list[dict], lang_index: int, n_languages: int, lang: str
) -> list[tuple[dict, str]]:
    """(concept, query) pairs to use as positives in one language.

    Each language starts at its own place in the grouped concept order (so, over all languages,
    every concept gets positives in several languages), takes two queries from each of its
    first N_DOUBLE concepts, then one query from each following concept.
    """
    start = lang_index * len(order) // n_languages
    rotated = order[start:] + order[:start]
    pairs = []
    for rank, concept in enumerate(c for c in rotated if c["q"].get(lang)):
        queries = concept["q"][lang][: 2 if rank < N_DOUBLE else 1]
        pairs.extend((concept, query) for query in queries)
    return pairs


def all_pairs(lang: str) -> list[tuple[dict, str]]:
    return [(c, q) for c in CONCEPTS for q in c["q"].get(lang, [])]


def build(task: str, plan: dict[str, tuple[int, int, int]], rng: random.Random) -> list[dict]:
    target_key = "category_path" if task == "QC" else "item_title"
    rows: list[dict] = []
    seen: set[tuple[str, str]] = set()

    def add(lang: str, query: str, target: str, label: int) -> bool:
        if (query, target) in seen:
            return False
        seen.add((query, target))
        rows.append(
            {
                "task": task,
                "language": lang,
                "origin_query": query,
                target_key: target,
                "label": label,
            }
        )
        return True

    order = concept_order(rng)
    for lang_index, (lang, (n_pos, n_hard, n_easy)) in enumerate(plan.items()):
        # Positives: a window of concepts, a few of them with two queries.
        made = 0
        for concept, query in positive_pairs(order, lang_index, len(plan), lang):
            if made == n_pos:
                break
            if task == "QI":
                target = pick_title(rng, concept, lang)
            elif concept.get("alt") and rng.random() < P_ALT_PATH:
                target = rng.choice(concept["alt"])
            else:
                target = concept["path"]
            made += add(lang, query, target, 1)

        # Hard negatives: sibling category / near-miss title of the query's own concept.
        shuffled = all_pairs(lang)
        rng.shuffle(shuffled)
        made = 0
        for concept, query in shuffled:
            if made == n_hard:
                break
            pool = hard_paths(concept) if task == "QC" else hard_titles(concept, lang)
            made += add(lang, query, rng.choice(pool), 0)

        # Easy negatives: a product from another top-level category.
        rng.shuffle(shuffled)
        made = 0
        for concept, query in shuffled:
            if made == n_easy:
                break
            other = rng.choice(unrelated(concept))
            target = other["path"] if task == "QC" else pick_title(rng, other, lang)
            made += add(lang, query, target, 0)

    rng.shuffle(rows)
    return [{"id": i, **row} for i, row in enumerate(rows, start=1)]


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def count_table(rows: list[dict], languages: list[str]) -> str:
    counts = Counter((row["language"], row["label"]) for row in rows)
    lines = ["| language | label 1 | label 0 | total |", "|---|---:|---:|---:|"]
    for lang in languages:
        pos, neg = counts[(lang, 1)], counts[(lang, 0)]
        lines.append(f"| {lang} | {pos} | {neg} | {pos + neg} |")
    pos = sum(row["label"] for row in rows)
    lines.append(f"| **all** | {pos} | {len(rows) - pos} | {len(rows)} |")
    return "\n".join(lines)


def readme(qc: list[dict], qi: list[dict]) -> str:
    tops = sorted({top(c["path"]) for c in CONCEPTS})
    n_comma_rows = sum(1 for row in qc if any(", " in lv for lv in levels(row["category_path"])))

    def rate(rows: list[dict]) -> str:
        return f"{100 * sum(r['label'] for r in rows) / len(rows):.1f}%"

    def example(rows: list[dict]) -> str:
        return json.dumps(min(rows, key=lambda r: r["id"]), ensure_ascii=False)

    return f"""# Demo data (hand-made, illustrative)

**These files are NOT competition data.** They were written by hand for this package so that
examples, tests and smoke runs have something small to work on. They do not come from the
CIKM 2025 AnalytiCup / AliExpress release, and scores measured on them say **nothing** about
how well a model works on real data. Do not use them to compare models or tune anything.

| file | task | rows | positive rate |
|---|---|---:|---:|
| `qc_demo.jsonl` | QC: query vs category path | {len(qc)} | {rate(qc)} |
| `qi_demo.jsonl` | QI: query vs item title | {len(qi)} | {rate(qi)} |

## How it was made

Generated by `scripts/make_demo_data.py` (standard library only, fixed random seed
{SEED}; running it again writes byte-identical files, including this README). The script holds
a hand-written lexicon of {len(CONCEPTS)} product concepts under {len(tops)} top-level
categories. Each concept has a category path, short search queries in each language (some
with brand names or model numbers, some misspelled the way shoppers type), AliExpress-style
item titles (mostly English, some in the query's language) and near-miss titles.

Rows are drawn per language:

* **positives**: a query with its own concept's category path (QC; sometimes another path
  where the product is also sold, e.g. a car phone holder under
  `phones & telecommunications,...,phone holders & stands`) or one of its titles (QI);
* **hard negatives** (about a third of the negatives): a sibling category under the same top
  levels (e.g. `iphone 15 case` vs `...,mobile phone accessories,screen protectors`) or a
  near-miss title (a screen protector, a cable, an accessory of the product...);
* **easy negatives**: a category or title from a different top-level category.

Rows are shuffled with the fixed seed; ids run 1..N within each file. No (query, target) pair
appears twice. Concepts that share their first two category levels (e.g. several
`automobiles, parts & accessories,...` paths) and queries for the same concept in several
languages give some cross-category and cross-lingual signal; a simple character n-gram model
learns something, but is far from perfect.

Top-level categories: {", ".join(f"`{t}`" for t in tops)}.

## Format

JSON lines, UTF-8, one object per line, keys in this order:

```
{example(qc)}
{example(qi)}
```

* `language`: `en`, `es`, `fr`, `pt`, `de`, `it`, `ja`, `ko` (both tasks) and `th` (QI only).
* `category_path`: lowercase English levels joined by `,` with **no** space; a level name may
  itself contain `, ` (comma + space), e.g.
  `automobiles, parts & accessories,car wash & maintenance,sponges, cloths & brushes` has
  three levels. {n_comma_rows} QC rows have such a path.
* `label`: 1 = relevant, 0 = not relevant.

## Row counts

### QC (`qc_demo.jsonl`)

{count_table(qc, QC_LANGUAGES)}

### QI (`qi_demo.jsonl`)

{count_table(qi, QI_LANGUAGES)}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    qc = build("QC", QC_PLAN, random.Random(SEED))
    qi = build("QI", QI_PLAN, random.Random(SEED + 1))

    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out_dir / "qc_demo.jsonl", qc)
    write_jsonl(args.out_dir / "qi_demo.jsonl", qi)
    (args.out_dir / "README.md").write_text(readme(qc, qi), encoding="utf-8", newline="\n")
    print(f"wrote {len(qc)} QC rows and {len(qi)} QI rows to {args.out_dir}")


if __name__ == "__main__":
    main()
