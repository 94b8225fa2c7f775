"""Industries by name: GB/T 4754-2017 国民经济行业分类, its sections (门类, A–T) and divisions
(大类, 01–97), in Chinese as the standard writes them and in English after the ISIC-style
translations the National Bureau of Statistics uses.

An enterprise's industry is recorded as a class code (``C3489``: section letter, then the
4-digit 小类). Only sections and divisions are shipped: a class is shown by its division
(``C34 通用设备制造业``), since the 4-digit group and class names (中类, 小类) are not in this
table. A code that is not of the standard is shown as it is.
"""

import re
from typing import Literal

Language = Literal["zh", "en"]

SECTIONS: dict[str, tuple[str, str]] = {
    "A": ("农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    "B": ("采矿业", "Mining"),
    "C": ("制造业", "Manufacturing"),
    "D": (
        "电力、热力、燃气及水生产和供应业",
        "Production and supply of electricity, heat, gas and water",
    ),
    "E": ("建筑业", "Construction"),
    "F": ("批发和零售业", "Wholesale and retail trade"),
    "G": ("交通运输、仓储和邮政业", "Transport, storage and postal services"),
    "H": ("住宿和餐饮业", "Accommodation and catering"),
    "I": (
        "信息传输、软件和信息技术服务业",
        "Information transmission, software and information technology services",
    ),
    "J": ("金融业", "Finance"),
    "K": ("房地产业", "Real estate"),
    "L": ("租赁和商务服务业", "Leasing and business services"),
    "M": ("科学研究和技术服务业", "Scientific research and technical services"),
    "N": (
        "水利、环境和公共设施管理业",
        "Management of water conservancy, environment and public facilities",
    ),
    "O": ("居民服务、修理和其他服务业", "Resident services, repair and other services"),
    "P": ("教育", "Education"),
    "Q": ("卫生和社会工作", "Health and social work"),
    "R": ("文化、体育和娱乐业", "Culture, sports and entertainment"),
    "S": (
        "公共管理、社会保障和社会组织",
        "Public administration, social security and social organizations",
    ),
    "T": ("国际组织", "International organizations"),
}
"""门类: each section's letter and its name in Chinese and English."""

DIVISIONS: dict[str, tuple[str, str, str]] = {
    # A 农、林、牧、渔业
    "01": ("A", "农业", "Agriculture"),
    "02": ("A", "林业", "Forestry"),
    "03": ("A", "畜牧业", "Animal husbandry"),
    "04": ("A", "渔业", "Fishery"),
    "05": (
        "A",
        "农、林、牧、渔专业及辅助性活动",
        "Professional and support activities for agriculture, forestry, animal husbandry "
        "and fishery",
    ),
    # B 采矿业
    "06": ("B", "煤炭开采和洗选业", "Mining and washing of coal"),
    "07": ("B", "石油和天然气开采业", "Extraction of petroleum and natural gas"),
    "08": ("B", "黑色金属矿采选业", "Mining and processing of ferrous metal ores"),
    "09": ("B", "有色金属矿采选业", "Mining and processing of non-ferrous metal ores"),
    "10": ("B", "非金属矿采选业", "Mining and processing of non-metal ores"),
    "11": ("B", "开采专业及辅助性活动", "Professional and support activities for mining"),
    "12": ("B", "其他采矿业", "Other mining"),
    # C 制造业
    "13": ("C", "农副食品加工业", "Processing of food from agricultural products"),
    "14": ("C", "食品制造业", "Manufacture of foods"),
    "15": ("C", "酒、饮料和精制茶制造业", "Manufacture of liquor, beverages and refined tea"),
    "16": ("C", "烟草制品业", "Manufacture of tobacco"),
    "17": ("C", "纺织业", "Manufacture of textiles"),
    "18": ("C", "纺织服装、服饰业", "Manufacture of textile wearing apparel and accessories"),
    "19": (
        "C",
        "皮革、毛皮、羽毛及其制品和制鞋业",
        "Manufacture of leather, fur, feather and related products, and footwear",
    ),
    "20": (
        "C",
        "木材加工和木、竹、藤、棕、草制品业",
        "Processing of timber; manufacture of wood, bamboo, rattan, palm and straw products",
    ),
    "21": ("C", "家具制造业", "Manufacture of furniture"),
    "22": ("C", "造纸和纸制品业", "Manufacture of paper and paper products"),
    "23": ("C", "印刷和记录媒介复制业", "Printing and reproduction of recording media"),
    "24": (
        "C",
        "文教、工美、体育和娱乐用品制造业",
        "Manufacture of articles for culture, education, arts and crafts, sport and entertainment",
    ),
    "25": (
        "C",
        "石油、煤炭及其他燃料加工业",
        "Processing of petroleum, coal and other fuels",
    ),
    "26": (
        "C",
        "化学原料和化学制品制造业",
        "Manufacture of raw chemical materials and chemical products",
    ),
    "27": ("C", "医药制造业", "Manufacture of medicines"),
    "28": ("C", "化学纤维制造业", "Manufacture of chemical fibres"),
    "29": ("C", "橡胶和塑料制品业", "Manufacture of rubber and plastic products"),
    "30": ("C", "非金属矿物制品业", "Manufacture of non-metallic mineral products"),
    "31": (
        "C",
        "黑色金属冶炼和压延加工业",
        "Smelting and pressing of ferrous metals",
    ),
    "32": (
        "C",
        "有色金属冶炼和压延加工业",
        "Smelting and pressing of non-ferrous metals",
    ),
    "33": ("C", "金属制品业", "Manufacture of metal products"),
    "34": ("C", "通用设备制造业", "Manufacture of general-purpose machinery"),
    "35": ("C", "专用设备制造业", "Manufacture of special-purpose machinery"),
    "36": ("C", "汽车制造业", "Manufacture of motor vehicles"),
    "37": (
        "C",
        "铁路、船舶、航空航天和其他运输设备制造业",
        "Manufacture of railway, ship, aerospace and other transport equipment",
    ),
    "38": ("C", "电气机械和器材制造业", "Manufacture of electrical machinery and equipment"),
    "39": (
        "C",
        "计算机、通信和其他电子设备制造业",
        "Manufacture of computers, communication and other electronic equipment",
    ),
    "40": ("C", "仪器仪表制造业", "Manufacture of measuring instruments and meters"),
    "41": ("C", "其他制造业", "Other manufacturing"),
    "42": ("C", "废弃资源综合利用业", "Utilization of waste resources"),
    "43": (
        "C",
        "金属制品、机械和设备修理业",
        "Repair of metal products, machinery and equipment",
    ),
    # D 电力、热力、燃气及水生产和供应业
    "44": ("D", "电力、热力生产和供应业", "Production and supply of electricity and heat"),
    "45": ("D", "燃气生产和供应业", "Production and supply of gas"),
    "46": ("D", "水的生产和供应业", "Production and supply of water"),
    # E 建筑业
    "47": ("E", "房屋建筑业", "Construction of buildings"),
    "48": ("E", "土木工程建筑业", "Civil engineering"),
    "49": ("E", "建筑安装业", "Construction installation"),
    "50": (
        "E",
        "建筑装饰、装修和其他建筑业",
        "Building decoration, renovation and other construction",
    ),
    # F 批发和零售业
    "51": ("F", "批发业", "Wholesale trade"),
    "52": ("F", "零售业", "Retail trade"),
    # G 交通运输、仓储和邮政业
    "53": ("G", "铁路运输业", "Rail transport"),
    "54": ("G", "道路运输业", "Road transport"),
    "55": ("G", "水上运输业", "Water transport"),
    "56": ("G", "航空运输业", "Air transport"),
    "57": ("G", "管道运输业", "Pipeline transport"),
    "58": ("G", "多式联运和运输代理业", "Multimodal transport and transport agency"),
    "59": ("G", "装卸搬运和仓储业", "Loading, unloading, handling and storage"),
    "60": ("G", "邮政业", "Postal services"),
    # H 住宿和餐饮业
    "61": ("H", "住宿业", "Accommodation"),
    "62": ("H", "餐饮业", "Catering"),
    # I 信息传输、软件和信息技术服务业
    "63": (
        "I",
        "电信、广播电视和卫星传输服务",
        "Telecommunications, broadcasting and satellite transmission services",
    ),
    "64": ("I", "互联网和相关服务", "Internet and related services"),
    "65": ("I", "软件和信息技术服务业", "Software and information technology services"),
    # J 金融业
    "66": ("J", "货币金融服务", "Monetary and financial services"),
    "67": ("J", "资本市场服务", "Capital market services"),
    "68": ("J", "保险业", "Insurance"),
    "69": ("J", "其他金融业", "Other financial services"),
    # K 房地产业
    "70": ("K", "房地产业", "Real estate"),
    # L 租赁和商务服务业
    "71": ("L", "租赁业", "Leasing"),
    "72": ("L", "商务服务业", "Business services"),
    # M 科学研究和技术服务业
    "73": ("M", "研究和试验发展", "Research and experimental development"),
    "74": ("M", "专业技术服务业", "Professional technical services"),
    "75": ("M", "科技推广和应用服务业", "Technology promotion and application services"),
    # N 水利、环境和公共设施管理业
    "76": ("N", "水利管理业", "Water conservancy management"),
    "77": ("N", "生态保护和环境治理业", "Ecological protection and environmental management"),
    "78": ("N", "公共设施管理业", "Public facilities management"),
    "79": ("N", "土地管理业", "Land management"),
    # O 居民服务、修理和其他服务业
    "80": ("O", "居民服务业", "Resident services"),
    "81": (
        "O",
        "机动车、电子产品和日用产品修理业",
        "Repair of motor vehicles, electronic products and household goods",
    ),
    "82": ("O", "其他服务业", "Other services"),
    # P 教育
    "83": ("P", "教育", "Education"),
    # Q 卫生和社会工作
    "84": ("Q", "卫生", "Health"),
    "85": ("Q", "社会工作", "Social work"),
    # R 文化、体育和娱乐业
    "86": ("R", "新闻和出版业", "News and publishing"),
    "87": (
        "R",
        "广播、电视、电影和录音制作业",
        "Radio, television, film and sound recording production",
    ),
    "88": ("R", "文化艺术业", "Culture and arts"),
    "89": ("R", "体育", "Sports"),
    "90": ("R", "娱乐业", "Entertainment"),
    # S 公共管理、社会保障和社会组织
    "91": ("S", "中国共产党机关", "Organs of the Communist Party of China"),
    "92": ("S", "国家机构", "State organs"),
    "93": (
        "S",
        "人民政协、民主党派",
        "CPPCC and democratic parties",
    ),
    "94": ("S", "社会保障", "Social security"),
    "95": (
        "S",
        "群众团体、社会团体和其他成员组织",
        "Mass organizations, social organizations and other membership organizations",
    ),
    "96": (
        "S",
        "基层群众自治组织及其他组织",
        "Grassroots self-governing mass organizations and other organizations",
    ),
    # T 国际组织
    "97": ("T", "国际组织", "International organizations"),
}
"""大类: each division's two digits, its section's letter and its name in Chinese and
English."""

_CODE = re.compile(r"^([A-T])?(\d{2})(\d{0,2})$")
DIVISION_PATTERN = r"^[A-T](\d{2})?$"
"""A section or a division as a filter asks for it: a letter (``C``), or its section's letter
and two digits (``C34``)."""


def division_of(code: str | None) -> str | None:
    """The division of an industry code, with its section's letter: ``C3489`` and ``3489``
    are ``C34``; None for a code that is not of the standard."""
    if not code:
        return None
    found = _CODE.match(code.strip().upper())
    if found is None:
        return None
    letter, digits, _ = found.groups()
    division = DIVISIONS.get(digits)
    if division is None or (letter is not None and letter != division[0]):
        return None
    return division[0] + digits


def industry_name(code: str | None, lang: Language = "zh") -> str | None:
    """An industry as a list shows it: ``C3489`` is ``C34 通用设备制造业`` (its division; a
    class's own name is not shipped), a section letter its section's name; a code that is
    not of the standard as it is, and None for none."""
    if not code:
        return None
    section = SECTIONS.get(code.strip().upper())
    if section is not None:
        return f"{code.strip().upper()} {section[0] if lang == 'zh' else section[1]}"
    division = division_of(code)
    if division is None:
        return code
    _, zh, en = DIVISIONS[division[1:]]
    return f"{division} {zh if lang == 'zh' else en}"
