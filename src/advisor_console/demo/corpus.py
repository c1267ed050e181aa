"""Vocabulary of the demo: people's names, countries, the house's (fictional) lines and
product types, and what clients and advisors write, per language.

All of it is invented for this project. The house lines are made-up Italian words, not
any real brand's names. Text functions take a `random.Random` so that the seed and the
simulator stay deterministic.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

from typing import Any, Mapping, Sequence

# ---- countries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    hub: str
    currency: str  # the currency the house invoices clients of this country in
    dial: str
    weight: float
    # (name pool, locale, weight)
    people: tuple[tuple[str, str, float], ...]


COUNTRIES: tuple[Country, ...] = (
    Country("IT", "Italy", "FLR", "EUR", "+39", 8, (("it", "it-IT", 1),)),
    Country("FR", "France", "FLR", "EUR", "+33", 7, (("fr", "fr-FR", 1),)),
    Country("DE", "Germany", "FLR", "EUR", "+49", 6, (("de", "de-DE", 1),)),
    Country("GB", "United Kingdom", "FLR", "EUR", "+44", 6, (("gb", "en-GB", 1),)),
    Country("ES", "Spain", "FLR", "EUR", "+34", 4, (("es", "es-ES", 1),)),
    Country("CH", "Switzerland", "FLR", "EUR", "+41", 3, (("de", "de-CH", 5), ("fr", "fr-CH", 3), ("it", "it-CH", 2))),
    Country("NL", "Netherlands", "FLR", "EUR", "+31", 2, (("nl", "nl-NL", 1),)),
    Country("BE", "Belgium", "FLR", "EUR", "+32", 2, (("fr", "fr-BE", 6), ("nl", "nl-BE", 4))),
    Country("AT", "Austria", "FLR", "EUR", "+43", 2, (("de", "de-AT", 1),)),
    Country("SE", "Sweden", "FLR", "EUR", "+46", 1.5, (("sv", "sv-SE", 1),)),
    Country("AE", "United Arab Emirates", "FLR", "USD", "+971", 3, (("ae", "en-AE", 7), ("ae", "ar-AE", 3))),
    Country("US", "United States", "NYC", "USD", "+1", 14, (("us", "en-US", 85), ("latam", "es-US", 15))),
    Country("CA", "Canada", "NYC", "USD", "+1", 3, (("us", "en-CA", 7), ("fr", "fr-CA", 3))),
    Country("MX", "Mexico", "NYC", "USD", "+52", 3, (("latam", "es-MX", 1),)),
    Country("BR", "Brazil", "NYC", "USD", "+55", 3, (("br", "pt-BR", 1),)),
    Country("JP", "Japan", "TYO", "JPY", "+81", 12, (("ja", "ja-JP", 1),)),
    Country("KR", "South Korea", "SEL", "KRW", "+82", 9, (("ko", "ko-KR", 1),)),
    Country("CN", "China", "SHA", "CNY", "+86", 12, (("zh", "zh-CN", 1),)),
    Country("HK", "Hong Kong", "SHA", "CNY", "+852", 3, (("hk", "zh-HK", 6), ("hk", "en-HK", 4))),
    Country("TW", "Taiwan", "SHA", "CNY", "+886", 2.5, (("tw", "zh-TW", 1),)),
    Country("SG", "Singapore", "SIN", "SGD", "+65", 5, (("sg", "en-SG", 55), ("sg", "zh-SG", 15), ("malay", "ms-SG", 15), ("indian", "en-SG", 15))),
    Country("MY", "Malaysia", "SIN", "SGD", "+60", 2, (("malay", "ms-MY", 5), ("sg", "en-MY", 5))),
    Country("TH", "Thailand", "SIN", "SGD", "+66", 2, (("th", "th-TH", 1),)),
    Country("ID", "Indonesia", "SIN", "SGD", "+62", 2, (("indo", "id-ID", 1),)),
    Country("AU", "Australia", "SIN", "SGD", "+61", 3, (("gb", "en-AU", 1),)),
    Country("IN", "India", "SIN", "SGD", "+91", 2, (("indian", "en-IN", 1),)),
    Country("PH", "Philippines", "SIN", "SGD", "+63", 1, (("ph", "en-PH", 1),)),
    Country("VN", "Vietnam", "SIN", "SGD", "+84", 1, (("vn", "vi-VN", 1),)),
)

CURRENCIES = ("EUR", "USD", "JPY", "KRW", "CNY", "SGD")

# ---- names -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonName:
    name: str  # Latin script, as written in the CRM
    native_name: str | None
    given: str
    family: str
    native_family: str | None
    gender: str  # "f" | "m"


@dataclass(frozen=True)
class NamePool:
    female: tuple[Any, ...]
    male: tuple[Any, ...]
    family: tuple[Any, ...]
    # "gf": given family; "fg": family given (East Asian order in Latin script too)
    order: str = "gf"
    # How the native script joins family and given: None = no native script.
    native_sep: str | None = None


def _t(s: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in s.split(",") if x.strip())


def _pairs(s: str) -> tuple[tuple[str, str], ...]:
    out = []
    for item in s.split(","):
        latin, native = item.strip().split(":")
        out.append((latin, native))
    return tuple(out)


NAME_POOLS: dict[str, NamePool] = {
    "it": NamePool(
        _t("Giulia, Francesca, Chiara, Sofia, Alessandra, Valentina, Beatrice, Martina, Elena, Caterina, Ludovica, Ginevra, Bianca, Costanza, Vittoria, Livia"),
        _t("Marco, Alessandro, Lorenzo, Matteo, Federico, Tommaso, Riccardo, Andrea, Niccolò, Edoardo"),
        _t("Rossi, Bianchi, Ferrari, Romano, Colombo, Ricci, Marino, Greco, Bruno, Gallo, Conti, De Luca, Mancini, Costa, Giordano, Rizzo, Lombardi, Moretti, Barbieri, Fontana, Santoro, Mariani, Rinaldi, Caruso, Galli, Martinelli, Leone, Longo, Gentile, Guidi, Frescobaldi, Strozzi"),
    ),
    "fr": NamePool(
        _t("Camille, Chloé, Léa, Manon, Inès, Juliette, Louise, Clémence, Hélène, Margaux, Élodie, Anaïs, Solène, Capucine, Agathe"),
        _t("Louis, Hugo, Antoine, Théo, Julien, Baptiste, Arthur, Étienne, Grégoire"),
        _t("Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon, Laurent, Lefèvre, Michel, Fournier, Girard, Bonnet, Dupont, Lambert, Fontaine, Rousseau, Vincent, Morel, Faure, Mercier, Blanc, Guérin, Boyer, de La Tour, Beaumont"),
    ),
    "de": NamePool(
        _t("Anna, Lena, Marie, Sophie, Charlotte, Hannah, Johanna, Katharina, Clara, Leonie, Friederike, Annika, Mathilda"),
        _t("Lukas, Maximilian, Felix, Jonas, Leon, Paul, Konstantin, Moritz"),
        _t("Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann, Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, Schwarz, Zimmermann, Braun, Krüger, Hartmann, von Arnim, Brandt, Vogel"),
    ),
    "gb": NamePool(
        _t("Olivia, Amelia, Isla, Charlotte, Emily, Sophie, Harriet, Imogen, Eleanor, Florence, Georgina, Arabella, Poppy, Beatrice"),
        _t("Oliver, George, Harry, James, William, Henry, Edward, Alexander, Rupert"),
        _t("Smith, Jones, Williams, Taylor, Brown, Davies, Evans, Wilson, Thomas, Johnson, Roberts, Robinson, Wright, Walker, Hughes, Edwards, Green, Hall, Wood, Harris, Clarke, Campbell, Ashworth, Pemberton, Fairfax, Cavendish, O'Neill, Fitzgerald"),
    ),
    "us": NamePool(
        _t("Emma, Olivia, Ava, Madison, Abigail, Harper, Ella, Grace, Chloe, Victoria, Lauren, Samantha, Brooke, Whitney, Kennedy"),
        _t("Ethan, Michael, Daniel, Matthew, Ryan, Christopher, Tyler, Jackson"),
        _t("Johnson, Williams, Miller, Davis, Anderson, Taylor, Moore, Jackson, Martin, Thompson, White, Harris, Clark, Lewis, Walker, Allen, Young, King, Scott, Adams, Baker, Nelson, Carter, Mitchell, Turner, Phillips, Parker, Goldberg, Rosen, Whitmore, Vanderbilt-Hayes"),
    ),
    "es": NamePool(
        _t("Lucía, Sofía, Martina, María, Paula, Carmen, Isabel, Alejandra, Elena, Cayetana, Blanca, Pilar"),
        _t("Mateo, Santiago, Diego, Alejandro, Javier, Álvaro, Íñigo"),
        _t("García, Rodríguez, González, Fernández, López, Martínez, Sánchez, Pérez, Gómez, Jiménez, Ruiz, Díaz, Moreno, Álvarez, Romero, Navarro, Torres, Domínguez, Ortega, Muñoz, Fernández de Córdoba, Zubiaurre"),
    ),
    "latam": NamePool(
        _t("Valeria, Daniela, Ximena, Regina, Camila, Renata, Fernanda, Mariana, Andrea, Paulina, Guadalupe"),
        _t("Santiago, Sebastián, Emiliano, Diego, Rodrigo, Leonardo"),
        _t("Hernández, García, Martínez, López, González, Rodríguez, Pérez, Sánchez, Ramírez, Cruz, Flores, Vargas, Castillo, Mendoza, Herrera, Garza, Treviño, Villarreal, Sada, Cortés"),
    ),
    "br": NamePool(
        _t("Ana, Beatriz, Mariana, Larissa, Gabriela, Juliana, Camila, Fernanda, Letícia, Isadora, Helena"),
        _t("João, Pedro, Gabriel, Rafael, Thiago, Lucas"),
        _t("Silva, Santos, Oliveira, Souza, Lima, Pereira, Ferreira, Costa, Rodrigues, Almeida, Nascimento, Carvalho, Araújo, Ribeiro, Barbosa, Matarazzo, Prado"),
    ),
    "nl": NamePool(
        _t("Emma, Julia, Sanne, Lotte, Fleur, Anouk, Femke, Noor, Isabel"),
        _t("Daan, Sem, Bram, Thijs, Joost, Pieter"),
        _t("de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Visser, Smit, Meijer, de Boer, Mulder, Bos, Vos, Peters, Hendriks, van Leeuwen, Claes, Peeters, Wouters"),
    ),
    "sv": NamePool(
        _t("Astrid, Ebba, Elsa, Freja, Ingrid, Maja, Saga, Linnea, Sigrid"),
        _t("Erik, Oskar, Axel, Gustav, Nils"),
        _t("Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson, Svensson, Lindqvist, Lindström, Bergström, Wallenberg"),
    ),
    "ae": NamePool(
        _t("Fatima, Mariam, Noura, Layla, Aisha, Sara, Hessa, Latifa, Shamma, Maitha"),
        _t("Khalid, Omar, Rashid, Saeed, Hamdan, Sultan"),
        _t("Al Mansoori, Al Nuaimi, Al Hashimi, Al Suwaidi, Al Mazrouei, Al Kaabi, Al Falasi, Al Dhaheri, Al Shamsi, Al Ketbi, Al Qasimi"),
    ),
    "th": NamePool(
        _t("Siriporn, Nattaya, Kanokwan, Pimchanok, Ploy, Chutima, Anong, Pichaya, Waranya"),
        _t("Somchai, Thanawat, Kittipong, Nattapong, Krit"),
        _t("Srisuk, Chaiyaporn, Wongsakul, Rattanakorn, Suwannarat, Boonmee, Phromsuwan, Thongchai, Sirivadhanabhakdi, Chearavanont"),
    ),
    "malay": NamePool(
        _t("Nurul Aisyah, Siti Khadijah, Farah, Nur Izzati, Aina, Syafiqah, Puteri"),
        _t("Ahmad Faiz, Hafiz, Amir, Danial, Irfan"),
        _t("Rahman, Abdullah, Ismail, Hassan, Ibrahim, Yusof, Hamid, Osman, Zainal"),
    ),
    "indo": NamePool(
        _t("Dewi, Ayu, Putri, Sari, Anindya, Kirana, Larasati, Maharani"),
        _t("Rizky, Budi, Adi, Bayu, Dimas"),
        _t("Santoso, Wijaya, Halim, Kusuma, Hidayat, Tanoto, Salim, Gunawan, Hartono, Pratama"),
    ),
    "indian": NamePool(
        _t("Priya, Ananya, Aishwarya, Kavya, Meera, Diya, Nisha, Radhika, Tara, Ishani"),
        _t("Arjun, Rohan, Vikram, Aditya, Kabir"),
        _t("Sharma, Patel, Mehta, Nair, Iyer, Kapoor, Reddy, Malhotra, Menon, Singh, Khanna, Bhatia, Pillai, Chopra"),
    ),
    "ph": NamePool(
        _t("Maria, Patricia, Kristine, Angelica, Jasmine, Bea, Camille, Isabelle"),
        _t("Miguel, Paolo, Carlo, Enrique"),
        _t("Santos, Reyes, Cruz, Bautista, Ocampo, Garcia, Mendoza, Villanueva, Dela Cruz, Aquino, Zobel, Ayala-Tan"),
    ),
    "vn": NamePool(
        _t("Thị Lan, Minh Anh, Thu Trang, Ngọc Mai, Thanh Hương, Phương Linh, Bảo Ngọc"),
        _t("Minh Quang, Đức Huy, Quốc Bảo"),
        _t("Nguyễn, Trần, Lê, Phạm, Hoàng, Phan, Vũ, Đặng, Bùi, Đỗ"),
        order="fg",
    ),
    # Scripts other than Latin: "Latin:native" pairs.
    "ja": NamePool(
        _pairs("Yuki:由紀, Aoi:葵, Haruka:遥, Sakura:さくら, Mei:芽衣, Rin:凛, Yui:結衣, Misaki:美咲, Nanami:七海, Akiko:明子, Emi:恵美, Kaori:香織, Naoko:直子, Noriko:典子, Reiko:玲子, Ayaka:彩花, Hana:花, Chihiro:千尋, Mayumi:真由美, Shiori:栞"),
        _pairs("Hiroshi:博, Takashi:隆, Kenji:健二, Ren:蓮, Sota:颯太, Daisuke:大輔, Kazuki:一輝, Shun:駿"),
        _pairs("Tanaka:田中, Suzuki:鈴木, Takahashi:高橋, Watanabe:渡辺, Ito:伊藤, Yamamoto:山本, Nakamura:中村, Kobayashi:小林, Kato:加藤, Yoshida:吉田, Yamada:山田, Sasaki:佐々木, Matsumoto:松本, Inoue:井上, Kimura:木村, Hayashi:林, Shimizu:清水, Mori:森, Ikeda:池田, Hashimoto:橋本, Ishikawa:石川, Ogawa:小川, Fujita:藤田, Okada:岡田, Saionji:西園寺, Kujo:九条"),
        order="gf",
        native_sep=" ",
    ),
    "ko": NamePool(
        _pairs("Seo-yeon:서연, Ji-woo:지우, Min-ji:민지, Ha-eun:하은, Soo-ah:수아, Ji-min:지민, Yuna:유나, Da-eun:다은, Eun-ji:은지, Hye-jin:혜진, Soo-bin:수빈, Ye-jin:예진, Seo-hyun:서현, Na-yeon:나연"),
        _pairs("Min-jun:민준, Seo-jun:서준, Do-hyun:도현, Ji-ho:지호, Hyun-woo:현우, Joon-young:준영"),
        _pairs("Kim:김, Lee:이, Park:박, Choi:최, Jung:정, Kang:강, Cho:조, Yoon:윤, Jang:장, Lim:임, Han:한, Shin:신, Seo:서, Kwon:권, Hwang:황, Song:송, Oh:오, Baek:백"),
        order="fg",
        native_sep="",
    ),
    "zh": NamePool(
        _pairs("Fang:芳, Jing:静, Min:敏, Li:丽, Yan:燕, Xin:欣, Yue:悦, Ting:婷, Xue:雪, Lan:兰, Hui:慧, Mei:梅, Yuxuan:雨萱, Zihan:梓涵, Shiyu:诗雨, Jiayi:佳怡, Siqi:思琪, Wanying:婉莹"),
        _pairs("Wei:伟, Lei:磊, Hao:浩, Tao:涛, Jie:杰, Haoran:浩然, Zixuan:子轩"),
        _pairs("Wang:王, Li:李, Zhang:张, Liu:刘, Chen:陈, Yang:杨, Zhao:赵, Huang:黄, Zhou:周, Wu:吴, Xu:徐, Sun:孙, Ma:马, Zhu:朱, Hu:胡, Guo:郭, Lin:林, He:何, Gao:高, Luo:罗, Song:宋, Shen:沈, Ouyang:欧阳"),
        order="fg",
        native_sep="",
    ),
    "tw": NamePool(
        _pairs("Shu-fen:淑芬, Mei-ling:美玲, Ya-ting:雅婷, Yi-chun:怡君, Hsin-yi:欣怡, Chia-hui:佳慧, Pei-shan:佩珊, Yu-ting:郁婷, Hui-wen:慧雯"),
        _pairs("Chih-wei:志偉, Chien-hung:建宏, Tsung-han:宗翰, Kuan-yu:冠宇"),
        _pairs("Chen:陳, Lin:林, Huang:黃, Chang:張, Li:李, Wang:王, Wu:吳, Liu:劉, Tsai:蔡, Yang:楊, Hsu:許, Cheng:鄭, Hsieh:謝, Kuo:郭"),
        order="fg",
        native_sep="",
    ),
    "hk": NamePool(
        _pairs("Wing-yan:詠欣, Ka-yan:嘉欣, Hoi-ching:凱晴, Pui-man:佩雯, Mei-kuen:美娟, Tsz-ching:芷晴, Sze-wing:思穎, Vivian:慧雯, Charlotte:嘉怡, Natalie:凱琪"),
        _pairs("Chi-ho:志豪, Ka-ho:家豪, Wai-kit:偉傑, Edmund:子健"),
        _pairs("Chan:陳, Wong:黃, Leung:梁, Cheung:張, Lau:劉, Lee:李, Ho:何, Ng:吳, Cheng:鄭, Yeung:楊, Tsang:曾, Lam:林, Kwok:郭, Fung:馮"),
        order="fg",
        native_sep="",
    ),
    "sg": NamePool(
        _pairs("Hui Min:慧敏, Wei Ling:慧玲, Xin Yi:欣怡, Jia Hui:佳慧, Shu Ting:淑婷, Li Ting:丽婷, Pei Shan:佩珊, Rachel:瑞秋, Michelle:美雪"),
        _pairs("Wei Jie:伟杰, Jun Hao:俊豪, Zhi Wei:志伟, Marcus:文杰"),
        _pairs("Tan:陈, Lim:林, Lee:李, Ng:黄, Ong:王, Wong:黄, Goh:吴, Chua:蔡, Chan:陈, Koh:许, Teo:张, Ang:洪, Yeo:杨"),
        order="fg",
        native_sep="",
    ),
}

# Pools whose Latin given names are Western (used "Vivian Chan", not "Chan Vivian").
_WESTERN_GIVEN = {"Vivian", "Charlotte", "Natalie", "Edmund", "Rachel", "Michelle", "Marcus"}


def make_name(rng: random.Random, pool_key: str, *, female_share: float = 0.72) -> PersonName:
    pool = NAME_POOLS[pool_key]
    gender = "f" if rng.random() < female_share else "m"
    given = rng.choice(pool.female if gender == "f" else pool.male)
    family = rng.choice(pool.family)
    if isinstance(given, tuple):  # native script pool
        (g_lat, g_nat), (f_lat, f_nat) = given, family
        if pool.order == "fg" and g_lat not in _WESTERN_GIVEN:
            name = f"{f_lat} {g_lat}"
        else:
            name = f"{g_lat} {f_lat}"
        native = f"{f_nat}{pool.native_sep or ''}{g_nat}"
        return PersonName(name, native, g_lat, f_lat, f_nat, gender)
    name = f"{family} {given}" if pool.order == "fg" else f"{given} {family}"
    return PersonName(name, None, given, family, None, gender)


def ascii_slug(text: str) -> str:
    """'Léa de La Tour' -> 'leadelatour' (for e-mail addresses)."""
    folded = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in folded if c.isascii() and c.isalnum()).lower()


# ---- the house: lines and product vocabulary ---------------------------------------------

# (name, code, signature) — invented house lines.
LINES: tuple[tuple[str, str, str], ...] = (
    ("Cipresso", "CP", "tall tapering silhouettes, lacquered wood details"),
    ("Fiordaliso", "FD", "cornflower motif, enamel and embroidery"),
    ("Ondina", "ON", "wave-stitched leather, soft curves"),
    ("Tessera", "TS", "mosaic intarsia of small leather tiles"),
    ("Lanterna", "LN", "openwork metal, lantern-shaped clasp"),
    ("Nodo", "ND", "the knotted-cord clasp"),
    ("Maremma", "MR", "saddlery stitching, natural vachetta"),
    ("Arno", "AR", "river-stone hardware, tonal palette"),
    ("Pietra Serena", "PS", "grey sandstone tones, architectural lines"),
    ("Giglio", "GG", "the lily emblem, gold accents"),
    ("Velluto Notte", "VN", "evening velvet and jet beading"),
)
LINE_NAMES = tuple(name for name, _code, _sig in LINES)


@dataclass(frozen=True)
class Category:
    key: str
    code: str
    label: str
    types: tuple[str, ...]
    materials: tuple[str, ...]
    variants: tuple[str, ...]
    price_eur: tuple[int, int]
    sizing: str  # shoes | rtw | ring | bracelet | belt | one
    weight: float


CATEGORIES: tuple[Category, ...] = (
    Category("bags", "BG", "Bags", _t("Tote, Shoulder Bag, Top-Handle Bag, Crossbody, Clutch, Bucket Bag, Backpack, Hobo, Weekender, Saddle Bag"),
             _t("calfskin, grained calfskin, nappa, suede, patent leather, canvas and leather, raffia, ostrich-effect calfskin"),
             ("Mini", "Small", "Medium", "Large", ""), (1450, 4900), "one", 22),
    Category("shoes", "SH", "Shoes", _t("Loafer, Pump, Ballerina, Sneaker, Ankle Boot, Sandal, Mule, Slingback, Derby, Riding Boot, Espadrille"),
             _t("calfskin, suede, patent leather, nappa, satin, raffia, shearling"),
             ("", "35", "55", "75", "105", "Flat"), (590, 1450), "shoes", 22),
    Category("ready_to_wear", "RW", "Ready-to-wear", _t("Silk Dress, Blazer, Wool Coat, Trench Coat, Cardigan, Silk Blouse, Wide Trousers, Pleated Skirt, Poplin Shirt, Cashmere Jumper, Leather Jacket"),
             _t("silk, cashmere, virgin wool, linen, cotton poplin, tweed, mohair, lambskin"),
             ("", "Cropped", "Long", "Relaxed", "Tailored"), (590, 4200), "rtw", 22),
    Category("jewellery", "JW", "Jewellery", _t("Ring, Bracelet, Necklace, Earrings, Cuff, Pendant, Brooch"),
             _t("18k yellow gold, 18k rose gold, 18k white gold, sterling silver, diamonds, pearls, onyx, malachite, enamel"),
             ("Thin", "Wide", "Pavé", "", "Signet"), (390, 9800), "jewellery", 10),
    Category("small_leather_goods", "SL", "Small leather goods", _t("Card Case, Wallet, Key Ring, Passport Holder, Coin Purse, Phone Pouch, Compact Wallet"),
             _t("calfskin, grained calfskin, patent leather, nappa"),
             ("", "Long", "Zip", "Folded"), (290, 890), "one", 8),
    Category("scarves", "SC", "Scarves", _t("Silk Square 90, Twilly, Cashmere Stole, Silk Bandeau, Shawl"),
             _t("silk twill, cashmere, silk chiffon, modal and cashmere"),
             ("", "Printed", "Jacquard"), (190, 890), "one", 6),
    Category("belts", "BT", "Belts", _t("Reversible Belt, Chain Belt, Waist Belt, Buckle Belt"),
             _t("calfskin, suede, patent leather, gilded brass"),
             ("20mm", "30mm", "40mm", ""), (390, 790), "belt", 4),
    Category("eyewear", "EY", "Eyewear", _t("Cat-Eye Sunglasses, Aviator Sunglasses, Square Sunglasses, Round Optical Frames, Oversized Sunglasses"),
             _t("acetate, titanium, gold-tone metal, bio-acetate"),
             ("",), (350, 620), "one", 3),
    Category("watches", "WT", "Watches", _t("Bracelet Watch, Tank-Shaped Watch, Round Watch, Bangle Watch"),
             _t("steel, 18k yellow gold, mother-of-pearl dial, leather strap, diamonds"),
             ("28mm", "34mm", "38mm"), (2400, 14500), "one", 3),
)
CATEGORY_BY_KEY = {c.key: c for c in CATEGORIES}

COLOURS = _t(
    "black, ivory, cognac, bordeaux, forest green, navy, blush, sand, taupe, ecru, cobalt, emerald, poppy red, "
    "chocolate, dove grey, pearl, sage, lilac, camel, gold, silver, tobacco, midnight blue, butter yellow"
)
SEASONS = ("SS26", "Pre-Fall 26", "FW26", "Cruise 27", "SS27")
PERMANENT = "Permanent"

# Approximate conversions from euro list prices, rounded the way price lists are.
FX = {"EUR": 1.0, "USD": 1.12, "JPY": 178.0, "KRW": 1560.0, "CNY": 8.3, "SGD": 1.55}
ROUNDING = {"EUR": 10, "USD": 10, "JPY": 1000, "KRW": 10000, "CNY": 100, "SGD": 10}
CURRENCY_SYMBOL = {"EUR": "€", "USD": "US$", "JPY": "¥", "KRW": "₩", "CNY": "CN¥", "SGD": "S$"}


def price_in(eur: float, currency: str) -> float:
    step = ROUNDING[currency]
    return float(max(step, round(eur * FX[currency] / step) * step))


def format_price(amount: float, currency: str) -> str:
    sym = CURRENCY_SYMBOL.get(currency, currency + " ")
    return f"{sym}{amount:,.0f}"


# ---- sizes -------------------------------------------------------------------------------

WOMEN_SHOES_EU = ("35", "35.5", "36", "36.5", "37", "37.5", "38", "38.5", "39", "39.5", "40", "41", "42")
MEN_SHOES_EU = ("39", "40", "40.5", "41", "41.5", "42", "42.5", "43", "44", "45", "46")
WOMEN_RTW_IT = ("36", "38", "40", "42", "44", "46", "48")
MEN_RTW_IT = ("44", "46", "48", "50", "52", "54", "56")
RING_EU = ("48", "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "60", "62")
BELT_CM = ("70", "75", "80", "85", "90", "95", "100", "105", "110")
BRACELET = ("S", "M", "L")
ONE_SIZE = "OS"


def _half(x: float) -> str:
    v = round(x * 2) / 2
    return f"{v:g}"


def shoe_sizes(eu: str, gender: str) -> dict[str, str]:
    e = float(eu)
    if gender == "f":
        us, jp = e - 30.0, 23.0 + (e - 36.0) * 0.75
    else:
        us, jp = e - 33.0, 25.0 + (e - 40.0) * 0.75
    return {"shoes_eu": _half(e), "shoes_us": _half(us), "shoes_jp": _half(jp)}


def ring_us(eu: str) -> str:
    return _half((float(eu) - 36.5) / 2.55)


# ---- what clients write (inbound), per language ------------------------------------------
# Placeholders: {product} {size} {line} {city}. Stages: intent, purchase, after_sales,
# plus appointment (an intent) and followup (any later message of the client).

INBOUND: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "intent": (
            "Hello, is the {product} still available in size {size}?",
            "Hi! I saw the {product} in the new collection. Could you tell me more about the leather?",
            "Good evening, I'm looking for a gift for my sister, something from the {line} line. Any suggestions?",
            "Do you have the {product} in another colour? The one online is sold out.",
            "Could you send me a few more photos of the {product}? I'd love to see it worn.",
            "Is the {product} true to size? I'm usually a {size}.",
        ),
        "purchase": (
            "I'd like to go ahead with the {product} in {size}, please.",
            "Please reserve the {product} for me, I'll pay by link.",
            "Can you send me the payment link for the {product}? Same address as last time.",
            "Is gift wrapping possible? It's for an anniversary.",
        ),
        "after_sales": (
            "The {product} I received is a little tight. Can I exchange it for a bigger size?",
            "I'd like to return the {product}, it doesn't suit me after all. How do I proceed?",
            "My order hasn't arrived yet, could you check the tracking for me?",
            "The strap of my bag came loose after two weeks. Can it be repaired?",
        ),
        "appointment": (
            "Could I book a private appointment at the boutique next week?",
            "I'll be in {city} on Saturday. Can we meet so I can try a few pieces?",
            "Would a video call tomorrow afternoon be possible? I'd like to see the new season.",
        ),
        "followup": (
            "Thank you, that's very helpful.",
            "Perfect, let's do that.",
            "Could you also check the matching belt?",
            "And what would the delivery time be?",
            "Lovely, I'll wait for your confirmation.",
        ),
    },
    "it": {
        "intent": (
            "Buongiorno, il modello {product} è ancora disponibile in taglia {size}?",
            "Salve, ho visto il modello {product} nella nuova collezione. Potrebbe dirmi di più sulla pelle?",
            "Buonasera, cerco un regalo per mia sorella, qualcosa della linea {line}. Avete suggerimenti?",
            "Avete il modello {product} in un altro colore? Online risulta esaurito.",
            "Potrebbe mandarmi qualche foto in più del modello {product}?",
        ),
        "purchase": (
            "Vorrei procedere con il modello {product} in taglia {size}, grazie.",
            "Me lo può riservare? Pago con il link come l'ultima volta.",
            "È possibile la confezione regalo? È per un anniversario.",
            "Mi manda il link di pagamento? Stesso indirizzo di consegna.",
        ),
        "after_sales": (
            "Il modello {product} che ho ricevuto è un po' stretto. Posso cambiarlo con una taglia più grande?",
            "Vorrei restituire il modello {product}, non mi convince. Come devo fare?",
            "Il mio ordine non è ancora arrivato, può verificare la spedizione?",
            "Si è scucita la tracolla della mia borsa. È possibile ripararla?",
        ),
        "appointment": (
            "Posso prenotare un appuntamento privato in boutique la prossima settimana?",
            "Sabato sarò a {city}. Possiamo vederci per provare qualche capo?",
            "Sarebbe possibile una videochiamata domani pomeriggio?",
        ),
        "followup": (
            "Grazie mille, molto gentile.",
            "Perfetto, procediamo così.",
            "Può controllare anche la cintura abbinata?",
            "E quali sono i tempi di consegna?",
        ),
    },
    "fr": {
        "intent": (
            "Bonjour, le modèle {product} est-il encore disponible en taille {size} ?",
            "Bonsoir, je cherche un cadeau pour ma sœur, quelque chose de la ligne {line}. Des idées ?",
            "Avez-vous le modèle {product} dans une autre couleur ? Il est épuisé en ligne.",
            "Pourriez-vous m'envoyer quelques photos supplémentaires du modèle {product} ?",
            "J'ai vu le modèle {product} dans la nouvelle collection. Pouvez-vous m'en dire plus sur le cuir ?",
        ),
        "purchase": (
            "Je souhaite prendre le modèle {product} en {size}, merci.",
            "Pouvez-vous me le réserver ? Je réglerai par lien de paiement.",
            "Un paquet cadeau est-il possible ? C'est pour un anniversaire de mariage.",
            "Merci de m'envoyer le lien de paiement, même adresse que la dernière fois.",
        ),
        "after_sales": (
            "Le modèle {product} reçu est un peu petit. Puis-je l'échanger contre la taille au-dessus ?",
            "Je voudrais retourner le modèle {product}, il ne me va pas. Comment faire ?",
            "Ma commande n'est toujours pas arrivée, pourriez-vous vérifier le suivi ?",
            "La bandoulière de mon sac s'est décousue. Est-elle réparable ?",
        ),
        "appointment": (
            "Puis-je prendre rendez-vous en salon privé la semaine prochaine ?",
            "Je serai à {city} samedi. Pourrions-nous nous voir pour essayer quelques pièces ?",
            "Un appel vidéo demain après-midi serait-il possible ?",
        ),
        "followup": (
            "Merci beaucoup, c'est très aimable.",
            "Parfait, faisons comme ça.",
            "Pourriez-vous aussi vérifier la ceinture assortie ?",
            "Et quel serait le délai de livraison ?",
        ),
    },
    "de": {
        "intent": (
            "Guten Tag, ist das Modell {product} noch in Größe {size} erhältlich?",
            "Guten Abend, ich suche ein Geschenk für meine Schwester aus der Linie {line}. Haben Sie eine Idee?",
            "Gibt es das Modell {product} auch in einer anderen Farbe? Online ist es ausverkauft.",
            "Könnten Sie mir noch ein paar Fotos vom Modell {product} schicken?",
            "Ich habe das Modell {product} in der neuen Kollektion gesehen. Aus welchem Leder ist es?",
        ),
        "purchase": (
            "Ich nehme das Modell {product} in Größe {size}, vielen Dank.",
            "Können Sie es für mich reservieren? Ich bezahle per Link.",
            "Ist eine Geschenkverpackung möglich? Es ist für einen Jahrestag.",
            "Bitte schicken Sie mir den Zahlungslink, gleiche Adresse wie beim letzten Mal.",
        ),
        "after_sales": (
            "Das Modell {product} ist etwas zu eng. Kann ich es gegen eine größere Größe tauschen?",
            "Ich möchte das Modell {product} zurückgeben. Wie gehe ich vor?",
            "Meine Bestellung ist noch nicht angekommen. Könnten Sie die Sendung prüfen?",
            "Der Riemen meiner Tasche hat sich gelöst. Kann man das reparieren?",
        ),
        "appointment": (
            "Kann ich nächste Woche einen privaten Termin in der Boutique vereinbaren?",
            "Ich bin am Samstag in {city}. Könnten wir uns für eine Anprobe treffen?",
            "Wäre morgen Nachmittag ein Videoanruf möglich?",
        ),
        "followup": (
            "Vielen Dank, sehr freundlich.",
            "Perfekt, so machen wir es.",
            "Könnten Sie auch den passenden Gürtel prüfen?",
            "Und wie lange dauert die Lieferung?",
        ),
    },
    "es": {
        "intent": (
            "Hola, ¿el modelo {product} sigue disponible en talla {size}?",
            "Buenas tardes, busco un regalo para mi hermana, algo de la línea {line}. ¿Alguna sugerencia?",
            "¿Tienen el modelo {product} en otro color? En la web está agotado.",
            "¿Podría enviarme algunas fotos más del modelo {product}?",
            "Vi el modelo {product} en la nueva colección. ¿Me cuenta más sobre la piel?",
        ),
        "purchase": (
            "Quisiera quedarme con el modelo {product} en talla {size}, gracias.",
            "¿Me lo puede reservar? Pagaré con el enlace.",
            "¿Es posible envolverlo para regalo? Es para un aniversario.",
            "Envíeme el enlace de pago, por favor; la misma dirección de siempre.",
        ),
        "after_sales": (
            "El modelo {product} me queda un poco justo. ¿Puedo cambiarlo por una talla más?",
            "Quisiera devolver el modelo {product}. ¿Cómo lo hago?",
            "Mi pedido aún no ha llegado, ¿podría revisar el envío?",
            "Se ha descosido el asa de mi bolso. ¿Tiene arreglo?",
        ),
        "appointment": (
            "¿Podría reservar una cita privada en la boutique la semana que viene?",
            "Estaré en {city} el sábado. ¿Podemos vernos para probar algunas piezas?",
            "¿Sería posible una videollamada mañana por la tarde?",
        ),
        "followup": (
            "Muchas gracias, muy amable.",
            "Perfecto, hagámoslo así.",
            "¿Podría mirar también el cinturón a juego?",
            "¿Y cuál sería el plazo de entrega?",
        ),
    },
    "pt": {
        "intent": (
            "Olá, o modelo {product} ainda está disponível no tamanho {size}?",
            "Boa tarde, procuro um presente para minha irmã, algo da linha {line}. Alguma sugestão?",
            "Vocês têm o modelo {product} em outra cor? No site está esgotado.",
            "Poderia me enviar mais algumas fotos do modelo {product}?",
        ),
        "purchase": (
            "Quero ficar com o modelo {product} no tamanho {size}, por favor.",
            "Pode reservar para mim? Pago pelo link.",
            "É possível embalar para presente? É para um aniversário de casamento.",
        ),
        "after_sales": (
            "O modelo {product} ficou um pouco apertado. Posso trocar por um tamanho maior?",
            "Gostaria de devolver o modelo {product}. Como faço?",
            "Meu pedido ainda não chegou, pode verificar o rastreio?",
        ),
        "appointment": (
            "Posso agendar um atendimento privado na boutique na semana que vem?",
            "Estarei em {city} no sábado. Podemos nos encontrar para provar algumas peças?",
        ),
        "followup": (
            "Agradeço muito a atenção.",
            "Perfeito, vamos fazer assim.",
            "E qual seria o prazo de entrega?",
        ),
    },
    "ja": {
        "intent": (
            "こんにちは。{product}はサイズ{size}でまだ在庫がありますか？",
            "新作の{product}を拝見しました。素材について詳しく教えていただけますか。",
            "姉への贈り物を探しています。{line}ラインで何かおすすめはありますか？",
            "{product}の別のカラーはありますか？オンラインでは売り切れでした。",
            "{product}の写真をもう何枚か送っていただけますか？",
        ),
        "purchase": (
            "{product}をサイズ{size}でお願いします。",
            "お取り置きをお願いできますか？支払いはリンクでいたします。",
            "ギフトラッピングは可能でしょうか？記念日のプレゼントです。",
            "お支払いリンクを送ってください。配送先は前回と同じです。",
        ),
        "after_sales": (
            "届いた{product}が少しきついので、ワンサイズ大きいものに交換できますか？",
            "{product}を返品したいのですが、手続きを教えてください。",
            "注文した商品がまだ届いていません。配送状況を確認していただけますか？",
            "バッグのストラップがほつれてしまいました。修理は可能ですか？",
        ),
        "appointment": (
            "来週、ブティックでプライベートアポイントメントを予約できますか？",
            "土曜日に{city}に行きます。いくつか試着させていただけますか？",
            "明日の午後、ビデオ通話は可能でしょうか？",
        ),
        "followup": (
            "ありがとうございます。とても助かります。",
            "では、それでお願いします。",
            "合わせるベルトも確認していただけますか？",
            "お届けまでどのくらいかかりますか？",
        ),
    },
    "ko": {
        "intent": (
            "안녕하세요, {product} {size} 사이즈 아직 재고 있나요?",
            "신상 {product} 봤어요. 가죽 소재에 대해 좀 더 알려주실 수 있나요?",
            "언니 선물을 찾고 있어요. {line} 라인에서 추천해 주실 만한 게 있을까요?",
            "{product} 다른 색상도 있나요? 온라인에서는 품절이더라고요.",
            "{product} 사진 몇 장 더 보내주실 수 있을까요?",
        ),
        "purchase": (
            "{product} {size} 사이즈로 구매할게요.",
            "홀드 부탁드려도 될까요? 결제는 링크로 할게요.",
            "선물 포장 가능한가요? 기념일 선물이에요.",
            "결제 링크 보내주세요. 배송지는 지난번과 같아요.",
        ),
        "after_sales": (
            "받은 {product} 제품이 조금 작아요. 한 사이즈 큰 걸로 교환 가능할까요?",
            "{product} 제품을 반품하고 싶은데 어떻게 하면 되나요?",
            "주문한 상품이 아직 안 왔어요. 배송 조회 부탁드려요.",
            "가방 스트랩 바느질이 풀렸어요. 수선 가능할까요?",
        ),
        "appointment": (
            "다음 주에 부티크 프라이빗 예약 가능할까요?",
            "토요일에 {city}에 가요. 몇 가지 피팅해 볼 수 있을까요?",
            "내일 오후에 영상 통화 가능하실까요?",
        ),
        "followup": (
            "감사합니다, 정말 도움이 됐어요.",
            "좋아요, 그렇게 진행해 주세요.",
            "어울리는 벨트도 확인해 주실 수 있나요?",
            "배송은 얼마나 걸리나요?",
        ),
    },
    "zh": {
        "intent": (
            "您好，{product}还有尺码{size}的现货吗？",
            "看到新系列的{product}，能详细介绍一下皮料吗？",
            "想给姐姐挑一份礼物，{line}系列有什么推荐吗？",
            "{product}有其他颜色吗？官网上已经售罄了。",
            "可以再发几张{product}的照片给我吗？",
        ),
        "purchase": (
            "我要{product}，尺码{size}，谢谢。",
            "可以帮我预留吗？我用付款链接支付。",
            "可以礼品包装吗？是纪念日礼物。",
            "请发我付款链接，地址和上次一样。",
        ),
        "after_sales": (
            "收到的{product}有点紧，可以换大一码吗？",
            "我想退回{product}，请问怎么操作？",
            "我的订单还没到，能帮我查一下物流吗？",
            "包的肩带开线了，可以维修吗？",
        ),
        "appointment": (
            "下周可以预约精品店的私人试穿吗？",
            "我周六会去{city}，可以安排试穿几件吗？",
            "明天下午可以视频通话吗？",
        ),
        "followup": (
            "谢谢，非常有帮助。",
            "好的，就这样办。",
            "能帮我看看配套的腰带吗？",
            "大概多久能送到？",
        ),
    },
    "zh-Hant": {
        "intent": (
            "您好，{product}還有尺寸{size}的現貨嗎？",
            "看到新系列的{product}，可以詳細介紹一下皮料嗎？",
            "想送姊姊一份禮物，{line}系列有什麼推薦嗎？",
            "{product}有其他顏色嗎？官網上已經售完了。",
        ),
        "purchase": (
            "我要{product}，尺寸{size}，謝謝。",
            "可以幫我保留嗎？我用付款連結付款。",
            "可以禮品包裝嗎？是紀念日禮物。",
        ),
        "after_sales": (
            "收到的{product}有點緊，可以換大一號嗎？",
            "我想退回{product}，請問要怎麼辦理？",
            "我的訂單還沒到，可以幫我查一下物流嗎？",
        ),
        "appointment": (
            "下週可以預約精品店的私人試穿嗎？",
            "我週六會去{city}，可以安排試穿幾件嗎？",
        ),
        "followup": (
            "謝謝，非常有幫助。",
            "好的，就這樣辦。",
            "大概多久會送到？",
        ),
    },
}

LANGUAGES: tuple[str, ...] = tuple(INBOUND)

# ---- what advisors reply, per language ---------------------------------------------------
# {salutation} opens the reply; {product} {size} {city} as above.

REPLIES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "intent": (
            "{salutation}, thank you for writing to us. The {product} is available in {size}; I can hold it for you for 48 hours.",
            "{salutation}, what a lovely choice. I'm sending you the details of the {product} — the leather is hand-finished in Florence.",
            "{salutation}, the {product} is sold out online, but I've located one in our {city} stock. Shall I reserve it for you?",
        ),
        "purchase": (
            "{salutation}, it's reserved in your name. I'll send you the secure payment link in a moment.",
            "{salutation}, thank you! Your order is confirmed and will ship with gift wrapping tomorrow.",
            "{salutation}, of course. Delivery is complimentary and usually takes two to three working days.",
        ),
        "after_sales": (
            "{salutation}, I'm sorry to hear that. I've arranged a free collection so we can exchange it for you.",
            "{salutation}, I've checked with our logistics team: the parcel is in transit and should reach you tomorrow.",
            "{salutation}, our atelier can certainly repair it. I'll send you a prepaid label today.",
        ),
        "appointment": (
            "{salutation}, with pleasure. I've booked our private salon for you; which time would suit you best?",
            "{salutation}, a video call is perfect. I'll prepare a selection in your sizes.",
        ),
        "followup": (
            "You're very welcome. I remain at your disposal.",
            "Certainly, I'll check and come back to you within the hour.",
            "Noted, I'll keep you posted.",
        ),
    },
    "it": {
        "intent": (
            "{salutation}, grazie per averci scritto. Il modello {product} è disponibile in taglia {size}: posso tenerlo da parte per 48 ore.",
            "{salutation}, ottima scelta. Le invio i dettagli del modello {product}: la pelle è rifinita a mano a Firenze.",
            "{salutation}, online è esaurito, ma ne ho trovato uno nel nostro stock di {city}. Desidera che lo riservi?",
        ),
        "purchase": (
            "{salutation}, è riservato a Suo nome. Le mando subito il link di pagamento sicuro.",
            "{salutation}, grazie! L'ordine è confermato e partirà domani con confezione regalo.",
        ),
        "after_sales": (
            "{salutation}, mi dispiace molto. Ho organizzato il ritiro gratuito per la sostituzione.",
            "{salutation}, ho verificato: il pacco è in transito e arriverà domani.",
            "{salutation}, il nostro atelier può certamente ripararla. Le invio oggi l'etichetta prepagata.",
        ),
        "appointment": (
            "{salutation}, con piacere. Ho prenotato il salottino privato per Lei: mi dica l'orario che preferisce.",
            "{salutation}, la videochiamata va benissimo. Preparo una selezione nelle Sue taglie.",
        ),
        "followup": (
            "Si figuri, resto a Sua disposizione.",
            "Certamente, verifico e Le rispondo entro un'ora.",
        ),
    },
    "fr": {
        "intent": (
            "{salutation}, merci pour votre message. Le modèle {product} est disponible en {size} ; je peux vous le réserver 48 heures.",
            "{salutation}, excellent choix. Je vous envoie le détail du modèle {product} : le cuir est fini à la main à Florence.",
            "{salutation}, il est épuisé en ligne, mais j'en ai trouvé un dans notre stock de {city}. Souhaitez-vous que je le réserve ?",
        ),
        "purchase": (
            "{salutation}, il est réservé à votre nom. Je vous envoie le lien de paiement sécurisé.",
            "{salutation}, merci ! Votre commande est confirmée et partira demain avec un paquet cadeau.",
        ),
        "after_sales": (
            "{salutation}, je regrette sincèrement ce désagrément. J'ai organisé un enlèvement gratuit pour l'échange.",
            "{salutation}, j'ai vérifié : le colis est en transit et arrivera demain.",
            "{salutation}, notre atelier peut tout à fait la réparer. Je vous envoie une étiquette prépayée aujourd'hui.",
        ),
        "appointment": (
            "{salutation}, avec plaisir. J'ai réservé le salon privé ; quel horaire vous conviendrait ?",
            "{salutation}, un appel vidéo est parfait. Je prépare une sélection dans vos tailles.",
        ),
        "followup": (
            "Je vous en prie, je reste à votre disposition.",
            "Bien sûr, je vérifie et reviens vers vous dans l'heure.",
        ),
    },
    "de": {
        "intent": (
            "{salutation}, vielen Dank für Ihre Nachricht. Das Modell {product} ist in {size} verfügbar; ich kann es 48 Stunden für Sie reservieren.",
            "{salutation}, eine wunderbare Wahl. Ich sende Ihnen die Details zum Modell {product} – das Leder wird in Florenz von Hand veredelt.",
            "{salutation}, online ist es ausverkauft, aber in unserem Lager in {city} habe ich noch eines gefunden. Soll ich es reservieren?",
        ),
        "purchase": (
            "{salutation}, es ist auf Ihren Namen reserviert. Den sicheren Zahlungslink sende ich Ihnen gleich.",
            "{salutation}, herzlichen Dank! Ihre Bestellung ist bestätigt und wird morgen als Geschenk verpackt versandt.",
        ),
        "after_sales": (
            "{salutation}, das tut mir leid. Ich habe eine kostenlose Abholung für den Umtausch veranlasst.",
            "{salutation}, ich habe nachgesehen: Das Paket ist unterwegs und kommt morgen an.",
            "{salutation}, unser Atelier kann das selbstverständlich reparieren. Ein frankiertes Etikett folgt heute.",
        ),
        "appointment": (
            "{salutation}, sehr gern. Ich habe unseren privaten Salon für Sie reserviert; welche Uhrzeit passt Ihnen?",
            "{salutation}, ein Videoanruf ist ideal. Ich bereite eine Auswahl in Ihren Größen vor.",
        ),
        "followup": (
            "Sehr gern, ich stehe Ihnen jederzeit zur Verfügung.",
            "Selbstverständlich, ich prüfe das und melde mich innerhalb einer Stunde.",
        ),
    },
    "es": {
        "intent": (
            "{salutation}, gracias por escribirnos. El modelo {product} está disponible en talla {size}; puedo reservárselo 48 horas.",
            "{salutation}, excelente elección. Le envío los detalles del modelo {product}: la piel se termina a mano en Florencia.",
            "{salutation}, está agotado en la web, pero he encontrado uno en nuestro stock de {city}. ¿Desea que se lo reserve?",
        ),
        "purchase": (
            "{salutation}, queda reservado a su nombre. Le envío ahora el enlace de pago seguro.",
            "{salutation}, ¡gracias! Su pedido está confirmado y saldrá mañana envuelto para regalo.",
        ),
        "after_sales": (
            "{salutation}, lamento las molestias. He programado una recogida gratuita para el cambio.",
            "{salutation}, lo he comprobado: el paquete está en tránsito y llegará mañana.",
            "{salutation}, nuestro taller puede repararlo sin problema. Hoy le envío una etiqueta prepagada.",
        ),
        "appointment": (
            "{salutation}, con mucho gusto. He reservado nuestro salón privado; ¿a qué hora le vendría bien?",
            "{salutation}, la videollamada es perfecta. Prepararé una selección en sus tallas.",
        ),
        "followup": (
            "Un placer, quedo a su disposición.",
            "Por supuesto, lo compruebo y le respondo en menos de una hora.",
        ),
    },
    "pt": {
        "intent": (
            "{salutation}, agradecemos a sua mensagem. O modelo {product} está disponível no tamanho {size}; posso reservá-lo por 48 horas.",
            "{salutation}, ótima escolha. Envio os detalhes do modelo {product}: o couro é acabado à mão em Florença.",
            "{salutation}, está esgotado no site, mas encontrei uma peça no nosso estoque de {city}. Deseja que eu reserve?",
        ),
        "purchase": (
            "{salutation}, está reservado em seu nome. Envio agora o link de pagamento seguro.",
            "{salutation}, pedido confirmado! Será enviado amanhã com embalagem para presente.",
        ),
        "after_sales": (
            "{salutation}, sinto muito pelo transtorno. Agendei uma coleta gratuita para a troca.",
            "{salutation}, verifiquei: o pacote está em trânsito e chega amanhã.",
        ),
        "appointment": (
            "{salutation}, com prazer. Reservei nosso salão privado; qual horário prefere?",
        ),
        "followup": (
            "Imagine, fico à disposição.",
            "Claro, verifico e retorno em até uma hora.",
        ),
    },
    "ja": {
        "intent": (
            "{salutation}、お問い合わせいただきありがとうございます。{product}はサイズ{size}の在庫がございます。48時間お取り置きいたします。",
            "{salutation}、素敵なお選びです。{product}の詳細をお送りいたします。レザーはフィレンツェで手仕上げしております。",
            "{salutation}、オンラインでは完売しておりますが、{city}の在庫に一点ございました。お取り置きいたしましょうか。",
        ),
        "purchase": (
            "{salutation}、お名前でお取り置きいたしました。安全なお支払いリンクをすぐにお送りいたします。",
            "{salutation}、ありがとうございます。ご注文を承りました。明日ギフトラッピングにて発送いたします。",
        ),
        "after_sales": (
            "{salutation}、ご不便をおかけし申し訳ございません。交換のための無料集荷を手配いたしました。",
            "{salutation}、確認いたしました。お荷物は配送中で、明日お届けの予定です。",
            "{salutation}、アトリエにて修理を承ります。本日、返送用の伝票をお送りいたします。",
        ),
        "appointment": (
            "{salutation}、かしこまりました。プライベートサロンをご用意いたします。ご希望のお時間をお知らせください。",
            "{salutation}、ビデオ通話で承ります。お客様のサイズでセレクションをご用意いたします。",
        ),
        "followup": (
            "どういたしまして。いつでもお気軽にご連絡ください。",
            "かしこまりました。確認のうえ、一時間以内にご連絡いたします。",
        ),
    },
    "ko": {
        "intent": (
            "{salutation}, 문의 주셔서 감사합니다. {product} 제품은 {size} 사이즈 재고가 있습니다. 48시간 동안 홀드해 드릴 수 있습니다.",
            "{salutation}, 탁월한 선택이세요. {product} 제품 상세 정보를 보내드립니다. 가죽은 피렌체에서 수작업으로 마감됩니다.",
            "{salutation}, 온라인은 품절이지만 {city} 재고에서 한 점 찾았습니다. 홀드해 드릴까요?",
        ),
        "purchase": (
            "{salutation}, 고객님 성함으로 홀드해 두었습니다. 안전 결제 링크를 곧 보내드리겠습니다.",
            "{salutation}, 감사합니다! 주문이 확정되었으며 내일 선물 포장으로 발송됩니다.",
        ),
        "after_sales": (
            "{salutation}, 불편을 드려 죄송합니다. 교환을 위한 무료 수거를 예약해 드렸습니다.",
            "{salutation}, 확인해 보니 상품은 배송 중이며 내일 도착 예정입니다.",
            "{salutation}, 아틀리에에서 수선이 가능합니다. 오늘 반송용 라벨을 보내드리겠습니다.",
        ),
        "appointment": (
            "{salutation}, 물론입니다. 프라이빗 살롱을 예약해 두었습니다. 편하신 시간을 알려주세요.",
            "{salutation}, 영상 통화 좋습니다. 고객님 사이즈로 셀렉션을 준비하겠습니다.",
        ),
        "followup": (
            "천만에요, 언제든 편하게 연락 주세요.",
            "네, 확인 후 한 시간 안에 다시 연락드리겠습니다.",
        ),
    },
    "zh": {
        "intent": (
            "{salutation}您好，感谢您的咨询。{product}目前有尺码{size}的现货，可以为您保留48小时。",
            "{salutation}您好，您的眼光真好。现将{product}的详细信息发给您，皮料在佛罗伦萨手工完成。",
            "{salutation}您好，官网已售罄，但我在{city}的库存中找到一件。需要为您预留吗？",
        ),
        "purchase": (
            "{salutation}，已用您的名字预留，安全付款链接马上发给您。",
            "{salutation}，谢谢您！订单已确认，明天将以礼品包装寄出。",
        ),
        "after_sales": (
            "{salutation}，非常抱歉给您带来不便。已为您安排免费上门取件进行更换。",
            "{salutation}，已为您查询：包裹正在运输中，预计明天送达。",
            "{salutation}，我们的工坊可以为您维修，今天会把预付运单发给您。",
        ),
        "appointment": (
            "{salutation}，非常乐意。已为您预约私人沙龙，请告诉我您方便的时间。",
            "{salutation}，视频通话没问题，我会按您的尺码准备一些款式。",
        ),
        "followup": (
            "不客气，随时为您服务。",
            "好的，我确认后一小时内回复您。",
        ),
    },
    "zh-Hant": {
        "intent": (
            "{salutation}您好，感謝您的詢問。{product}目前尺寸{size}有現貨，可以為您保留48小時。",
            "{salutation}您好，您的眼光真好。{product}的詳細資訊如下，皮料在佛羅倫斯手工完成。",
        ),
        "purchase": (
            "{salutation}，已用您的名字保留，安全付款連結馬上傳給您。",
            "{salutation}，謝謝您！訂單已確認，明天將以禮品包裝寄出。",
        ),
        "after_sales": (
            "{salutation}，非常抱歉造成您的不便，已為您安排免費取件更換。",
            "{salutation}，已為您查詢：包裹正在運送中，預計明天送達。",
        ),
        "appointment": (
            "{salutation}，非常樂意，已為您預約私人沙龍，請告訴我您方便的時間。",
        ),
        "followup": (
            "不客氣，隨時為您服務。",
            "好的，我確認後一小時內回覆您。",
        ),
    },
}

CITY_NAMES: dict[str, dict[str, str]] = {
    "en": {"FLR": "Florence", "NYC": "New York", "TYO": "Tokyo", "SEL": "Seoul", "SHA": "Shanghai", "SIN": "Singapore"},
    "it": {"FLR": "Firenze", "NYC": "New York", "TYO": "Tokyo", "SEL": "Seul", "SHA": "Shanghai", "SIN": "Singapore"},
    "fr": {"FLR": "Florence", "NYC": "New York", "TYO": "Tokyo", "SEL": "Séoul", "SHA": "Shanghai", "SIN": "Singapour"},
    "de": {"FLR": "Florenz", "NYC": "New York", "TYO": "Tokio", "SEL": "Seoul", "SHA": "Shanghai", "SIN": "Singapur"},
    "es": {"FLR": "Florencia", "NYC": "Nueva York", "TYO": "Tokio", "SEL": "Seúl", "SHA": "Shanghái", "SIN": "Singapur"},
    "pt": {"FLR": "Florença", "NYC": "Nova York", "TYO": "Tóquio", "SEL": "Seul", "SHA": "Xangai", "SIN": "Singapura"},
    "ja": {"FLR": "フィレンツェ", "NYC": "ニューヨーク", "TYO": "東京", "SEL": "ソウル", "SHA": "上海", "SIN": "シンガポール"},
    "ko": {"FLR": "피렌체", "NYC": "뉴욕", "TYO": "도쿄", "SEL": "서울", "SHA": "상하이", "SIN": "싱가포르"},
    "zh": {"FLR": "佛罗伦萨", "NYC": "纽约", "TYO": "东京", "SEL": "首尔", "SHA": "上海", "SIN": "新加坡"},
    "zh-Hant": {"FLR": "佛羅倫斯", "NYC": "紐約", "TYO": "東京", "SEL": "首爾", "SHA": "上海", "SIN": "新加坡"},
}


def language_for_locale(locale: str) -> str:
    """The language a client writes in, among those the corpus has (English otherwise)."""
    parts = locale.replace("_", "-").split("-")
    lang = parts[0].lower()
    region = parts[1].upper() if len(parts) > 1 else ""
    if lang == "zh":
        return "zh-Hant" if region in ("TW", "HK", "MO") or "HANT" in locale.upper() else "zh"
    return lang if lang in INBOUND else "en"


def salutation(language: str, person: PersonName) -> str:
    f = person.gender == "f"
    fam = person.family
    nat_fam = person.native_family or fam
    if language == "en":
        return f"Dear {'Ms' if f else 'Mr'} {fam}"
    if language == "it":
        return f"Gentile {'Signora' if f else 'Signor'} {fam}"
    if language == "fr":
        return f"{'Chère Madame' if f else 'Cher Monsieur'} {fam}"
    if language == "de":
        return f"{'Liebe Frau' if f else 'Lieber Herr'} {fam}"
    if language == "es":
        return f"{'Estimada Sra.' if f else 'Estimado Sr.'} {fam}"
    if language == "pt":
        return f"{'Prezada Sra.' if f else 'Prezado Sr.'} {fam}"
    if language == "ja":
        return f"{nat_fam}様"
    if language == "ko":
        return f"{person.native_name or person.name} 고객님"
    if language in ("zh", "zh-Hant"):
        return f"{nat_fam}{'女士' if f else '先生'}"
    return person.name


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


_FIRST_SENTENCE = re.compile(r"(?<=[.!?。！？])")


def subject_of(body: str, limit: int = 70) -> str:
    """An email subject for a client's message: its first sentence, shortened."""
    first = _FIRST_SENTENCE.split(" ".join(body.split()), maxsplit=1)[0].strip()
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def fill(template: str, ctx: Mapping[str, Any]) -> str:
    return template.format_map(_Blank(ctx))


def _choose(rng: random.Random, templates: Sequence[str], ctx: Mapping[str, Any]) -> str:
    # Without a size to speak of, leave out the templates that mention one.
    usable = [t for t in templates if ctx.get("size") or "{size}" not in t] or list(templates)
    return fill(rng.choice(usable), ctx)


def inbound_text(rng: random.Random, language: str, kind: str, ctx: Mapping[str, Any]) -> str:
    table = INBOUND.get(language) or INBOUND["en"]
    return _choose(rng, table[kind], ctx)


def reply_text(rng: random.Random, language: str, kind: str, ctx: Mapping[str, Any]) -> str:
    table = REPLIES.get(language) or REPLIES["en"]
    return _choose(rng, table[kind], ctx)


# Small touches clients add; some are emoji sequences a terminal must keep whole.
EMOJI = ("😊", "🙏", "✨", "👍🏽", "❤️", "🥰", "👩‍👩‍👧", "🎁", "👠", "🇮🇹", "💐", "👨‍👩‍👧‍👦")


def decorate(rng: random.Random, text: str, language: str, *, emoji_share: float = 0.08, nfd_share: float = 0.05) -> str:
    """Now and then an emoji (ZWJ sequences included), or the text in decomposed form
    (combining accents, as some phones send it) for Latin-script languages."""
    roll = rng.random()
    if roll < emoji_share:
        return f"{text} {rng.choice(EMOJI)}"
    if roll < emoji_share + nfd_share and language in ("fr", "it", "es", "pt", "de", "ja"):
        return unicodedata.normalize("NFD", text)
    return text


# ---- internal text (English, as the house's CRM is kept) ---------------------------------

NOTES: tuple[str, ...] = (
    "Client prefers discreet packaging, no logo on the box.",
    "Checked stock in FLR and NYC: one piece left in each.",
    "Offered the matching belt; client will think about it.",
    "Size exchange approved by the boutique manager.",
    "VIC — please handle with priority.",
    "Client is travelling: ship to the hotel, not the home address.",
    "Asked the atelier for a repair estimate, answer expected tomorrow.",
    "Sent two sizes to try at home, collection booked for Friday.",
)

CALL_NOTES: tuple[str, ...] = (
    "Call, {minutes} min. Client asked about the {product}; following up by e-mail with photos.",
    "Called back after a missed call. Client wants to exchange the {product} for another size; label sent.",
    "Short call: client confirmed the appointment for Saturday morning.",
    "Call, {minutes} min. Gift advice for her husband's birthday; shortlist of three pieces to send.",
)

SYSTEM_MISSED_CALL = "Missed call — the client asked to be called back."
SYSTEM_CALL = "Incoming call answered."

CLIENT_NOTES: tuple[str, ...] = (
    "Prefers morning contact, never on Sundays.",
    "Collects the {line} line; tell her about new colours first.",
    "Allergic to nickel: gold or titanium only.",
    "Buys gifts for the family every December.",
    "Likes a handwritten card with each order.",
    "Prefers to try at home; send two sizes.",
    "Travels often between {city} and Milan.",
    "Wide feet: half a size up in pumps.",
    "Does not like patent leather.",
    "Birthday in spring; send flowers, not products.",
)

# A few notes carry emoji or combining marks, on purpose.
CLIENT_NOTES_SPECIAL: tuple[str, ...] = (
    "Loves e\u0301cru and ivory; write \"e\u0301cru\" by hand on the card 🙂",
    "Prefers WhatsApp voice notes 🎙️",
    "Family shopper 👩‍👩‍👧 — sizes of both daughters in the file.",
    "Husband: Jose\u0301; anniversary in June 💍",
    "Signs her messages \"Zoe\u0308\" — keep the diaeresis when writing to her.",
)

TASK_TITLES: dict[str, tuple[str, ...]] = {
    "call": (
        "Call about the new {line} pieces",
        "Birthday call",
        "Call to check the fit of the last order",
        "Preview call for the {season} collection",
    ),
    "follow_up": (
        "Follow up on the {line} reservation",
        "Send photos of the {season} lookbook",
        "Follow up on the repair",
        "Check she received the exchange",
    ),
    "appointment": (
        "Private appointment in the salon",
        "Video appointment: {season} preview",
        "Try-on appointment with a selection of {line}",
    ),
}

TASK_OUTCOMES = (
    "Reached; will visit next month.",
    "No answer, left a message.",
    "Reserved two pieces.",
    "Client declined politely.",
    "Bought the piece shown.",
)

APPOINTMENT_PLACES: dict[str, tuple[str, ...]] = {
    "FLR": ("Florence boutique, private salon", "Video call"),
    "NYC": ("New York boutique, second-floor salon", "Video call"),
    "TYO": ("Tokyo boutique, private room", "Video call"),
    "SEL": ("Seoul boutique, VIC lounge", "Video call"),
    "SHA": ("Shanghai boutique, private salon", "Video call"),
    "SIN": ("Singapore boutique, private salon", "Video call"),
}

STORES = {
    "FLR": "boutique Florence",
    "NYC": "boutique New York",
    "TYO": "boutique Tokyo",
    "SEL": "boutique Seoul",
    "SHA": "boutique Shanghai",
    "SIN": "boutique Singapore",
}


def random_product_name(rng: random.Random, *, sized: bool = False) -> tuple[str, str]:
    """A plausible product name and a size for it (for the simulator, which has no catalogue)."""
    cats = [c for c in CATEGORIES if c.sizing in ("shoes", "rtw")] if sized else list(CATEGORIES)
    cat = rng.choice(cats)
    line = rng.choice(LINE_NAMES)
    name = f"{line} {rng.choice(cat.types)}"
    if cat.sizing == "shoes":
        size = rng.choice(WOMEN_SHOES_EU[2:10])
    elif cat.sizing == "rtw":
        size = "IT " + rng.choice(WOMEN_RTW_IT[1:5])
    else:
        size = ""
    return name, size


def client_message(rng: random.Random, language: str, *, hub: str = "FLR", kinds: Sequence[str] | None = None) -> str:
    """One message a client might send out of the blue (the simulator's text)."""
    kind = rng.choice(list(kinds or ("intent", "intent", "purchase", "after_sales", "appointment", "followup")))
    template_pool = (INBOUND.get(language) or INBOUND["en"])[kind]
    template = rng.choice(template_pool)
    product, size = random_product_name(rng, sized="{size}" in template)
    ctx = {
        "product": product,
        "size": size,
        "line": rng.choice(LINE_NAMES),
        "city": CITY_NAMES.get(language, CITY_NAMES["en"]).get(hub, "Florence"),
    }
    return decorate(rng, fill(template, ctx), language)
