"""Words the demo is made of: Zhejiang's cities and counties (GB/T 2260), town and park name
parts, trade names (字号), and manufacturing classes of GB/T 4754-2017 with the word a company
name of that trade carries.
"""

from typing import NamedTuple


class City(NamedTuple):
    code: str  # GB/T 2260, six digits
    name: str
    counties: tuple[tuple[str, str], ...]  # (code, name)


# Zhejiang's 11 cities and 90 county-level divisions. Tonglu (桐庐县) comes first: the demo's
# county scale is Tonglu and its neighbours.
CITIES: tuple[City, ...] = (
    City(
        "330100",
        "杭州市",
        (
            ("330122", "桐庐县"),
            ("330127", "淳安县"),
            ("330182", "建德市"),
            ("330111", "富阳区"),
            ("330112", "临安区"),
            ("330109", "萧山区"),
            ("330110", "余杭区"),
            ("330113", "临平区"),
            ("330114", "钱塘区"),
            ("330106", "西湖区"),
            ("330108", "滨江区"),
            ("330105", "拱墅区"),
            ("330102", "上城区"),
        ),
    ),
    City(
        "330200",
        "宁波市",
        (
            ("330282", "慈溪市"),
            ("330281", "余姚市"),
            ("330212", "鄞州区"),
            ("330206", "北仑区"),
            ("330211", "镇海区"),
            ("330213", "奉化区"),
            ("330226", "宁海县"),
            ("330225", "象山县"),
            ("330203", "海曙区"),
            ("330205", "江北区"),
        ),
    ),
    City(
        "330300",
        "温州市",
        (
            ("330382", "乐清市"),
            ("330381", "瑞安市"),
            ("330324", "永嘉县"),
            ("330326", "平阳县"),
            ("330327", "苍南县"),
            ("330383", "龙港市"),
            ("330303", "龙湾区"),
            ("330304", "瓯海区"),
            ("330302", "鹿城区"),
            ("330305", "洞头区"),
            ("330328", "文成县"),
            ("330329", "泰顺县"),
        ),
    ),
    City(
        "330400",
        "嘉兴市",
        (
            ("330481", "海宁市"),
            ("330483", "桐乡市"),
            ("330482", "平湖市"),
            ("330421", "嘉善县"),
            ("330424", "海盐县"),
            ("330402", "南湖区"),
            ("330411", "秀洲区"),
        ),
    ),
    City(
        "330500",
        "湖州市",
        (
            ("330522", "长兴县"),
            ("330521", "德清县"),
            ("330523", "安吉县"),
            ("330502", "吴兴区"),
            ("330503", "南浔区"),
        ),
    ),
    City(
        "330600",
        "绍兴市",
        (
            ("330681", "诸暨市"),
            ("330603", "柯桥区"),
            ("330604", "上虞区"),
            ("330683", "嵊州市"),
            ("330624", "新昌县"),
            ("330602", "越城区"),
        ),
    ),
    City(
        "330700",
        "金华市",
        (
            ("330782", "义乌市"),
            ("330784", "永康市"),
            ("330783", "东阳市"),
            ("330781", "兰溪市"),
            ("330726", "浦江县"),
            ("330723", "武义县"),
            ("330727", "磐安县"),
            ("330702", "婺城区"),
            ("330703", "金东区"),
        ),
    ),
    City(
        "330800",
        "衢州市",
        (
            ("330881", "江山市"),
            ("330825", "龙游县"),
            ("330822", "常山县"),
            ("330824", "开化县"),
            ("330802", "柯城区"),
            ("330803", "衢江区"),
        ),
    ),
    City(
        "330900",
        "舟山市",
        (
            ("330902", "定海区"),
            ("330903", "普陀区"),
            ("330921", "岱山县"),
            ("330922", "嵊泗县"),
        ),
    ),
    City(
        "331000",
        "台州市",
        (
            ("331081", "温岭市"),
            ("331082", "临海市"),
            ("331083", "玉环市"),
            ("331003", "黄岩区"),
            ("331004", "路桥区"),
            ("331002", "椒江区"),
            ("331023", "天台县"),
            ("331024", "仙居县"),
            ("331022", "三门县"),
        ),
    ),
    City(
        "331100",
        "丽水市",
        (
            ("331102", "莲都区"),
            ("331181", "龙泉市"),
            ("331122", "缙云县"),
            ("331121", "青田县"),
            ("331123", "遂昌县"),
            ("331124", "松阳县"),
            ("331125", "云和县"),
            ("331126", "庆元县"),
            ("331127", "景宁畲族自治县"),
        ),
    ),
)

# Where the demo sits: Tonglu's county seat, CGCS2000 lon-lat.
ANCHOR_LON, ANCHOR_LAT = 119.69, 29.79

PROVINCE_NAME = "浙江"
PROVINCE_ABBREVIATION = "浙"  # as in case numbers: (2024)浙0122民初1234号


def short_name(county: str) -> str:
    """A county's name without its level suffix: 桐庐县 → 桐庐, 景宁畲族自治县 → 景宁."""
    for suffix in ("畲族自治县", "自治县", "县", "市", "区"):
        if county.endswith(suffix) and len(county) > len(suffix) + 1:
            return county[: -len(suffix)]
    return county


# Town names: a place word and a level (街道 first, then 镇).
TOWN_WORDS: tuple[str, ...] = (
    "城南", "城北", "江南", "江北", "横村", "分水", "凤川", "富春", "瑶琳", "百江",
    "新合", "钟山", "合村", "莪山", "旧县", "桐君", "洋溪", "大源", "新登", "万市",
    "湖源", "场口", "常安", "里山", "渌渚", "永昌", "环山", "新桥", "石门", "白塔",
    "东洲", "银湖", "灵桥", "春江", "西溪", "临江", "河桥", "昌化", "太湖", "青山",
)  # fmt: skip
TOWN_LEVELS: tuple[str, ...] = ("街道", "街道", "镇", "镇", "镇", "镇", "镇", "乡")

PARK_KINDS: tuple[str, ...] = (
    "经济开发区",
    "高新技术产业园区",
    "工业功能区",
    "小微企业园",
    "产业集聚区",
)

# Trade names (字号): two characters, combined from two lists for variety.
TRADE_FIRST: tuple[str, ...] = tuple(
    "恒华金鑫宏永瑞泰盛兴达信诚通顺丰汇力安新创博远东方明光凯嘉和德康隆昌佳宇天正"
)
TRADE_SECOND: tuple[str, ...] = tuple(
    "达业源鼎茂发利丰腾辉盛泰宇科邦威特锐海峰林豪晟越航祥润川程耀星弘骏诺"
)

NAME_SUFFIXES: tuple[str, ...] = ("有限公司", "股份有限公司")


class Industry(NamedTuple):
    code: str  # GB/T 4754-2017 class
    word: str  # what a company of that trade calls itself
    weight: float  # share of the demo's enterprises


# Manufacturing classes seen in Zhejiang's county parks; machinery, metal products,
# electrical, plastics, textiles and electronics dominate, as they do there.
INDUSTRIES: tuple[Industry, ...] = (
    Industry("C1361", "水产食品", 0.6),
    Industry("C1431", "食品", 1.0),
    Industry("C1512", "酒业", 0.3),
    Industry("C1711", "纺织", 2.0),
    Industry("C1713", "印染", 1.2),
    Industry("C1752", "化纤织造", 1.5),
    Industry("C1761", "针织", 1.5),
    Industry("C1819", "服饰", 2.0),
    Industry("C1830", "服饰", 0.8),
    Industry("C1952", "鞋业", 0.8),
    Industry("C2110", "家具", 1.5),
    Industry("C2130", "金属家具", 0.8),
    Industry("C2221", "纸业", 0.6),
    Industry("C2231", "包装", 1.2),
    Industry("C2319", "印刷", 0.8),
    Industry("C2411", "文具", 1.0),
    Industry("C2438", "饰品", 0.5),
    Industry("C2452", "玩具", 0.7),
    Industry("C2614", "化工", 0.8),
    Industry("C2641", "涂料", 0.6),
    Industry("C2662", "新材料", 0.9),
    Industry("C2710", "药业", 0.4),
    Industry("C2720", "制药", 0.5),
    Industry("C2822", "化纤", 0.6),
    Industry("C2911", "橡胶", 0.4),
    Industry("C2922", "塑业", 2.0),
    Industry("C2927", "塑料制品", 2.0),
    Industry("C2929", "塑胶", 2.2),
    Industry("C3021", "建材", 1.0),
    Industry("C3041", "玻璃", 0.4),
    Industry("C3099", "新型建材", 0.6),
    Industry("C3130", "钢业", 0.5),
    Industry("C3252", "铝业", 0.8),
    Industry("C3311", "钢结构", 1.6),
    Industry("C3321", "工具", 1.5),
    Industry("C3324", "五金", 2.5),
    Industry("C3389", "金属制品", 2.0),
    Industry("C3399", "五金制品", 2.5),
    Industry("C3411", "锅炉", 0.4),
    Industry("C3443", "阀门", 2.0),
    Industry("C3444", "液压", 1.2),
    Industry("C3451", "轴承", 1.5),
    Industry("C3453", "传动", 1.2),
    Industry("C3484", "机械", 4.5),
    Industry("C3489", "精密机械", 3.5),
    Industry("C3523", "塑机", 0.8),
    Industry("C3551", "纺机", 0.8),
    Industry("C3599", "专用设备", 2.0),
    Industry("C3670", "汽车部件", 3.0),
    Industry("C3761", "车业", 0.6),
    Industry("C3812", "电机", 2.0),
    Industry("C3824", "电力电子", 1.0),
    Industry("C3825", "光伏科技", 1.0),
    Industry("C3831", "电缆", 1.2),
    Industry("C3842", "新能源", 0.8),
    Industry("C3854", "电器", 2.5),
    Industry("C3872", "照明", 1.5),
    Industry("C3879", "电器配件", 1.2),
    Industry("C3911", "电子科技", 0.5),
    Industry("C3976", "光电", 1.0),
    Industry("C3982", "电路科技", 1.2),
    Industry("C3989", "电子", 2.0),
    Industry("C4011", "自动化", 0.8),
    Industry("C4028", "仪器", 0.6),
    Industry("C4119", "日用品", 1.0),
    Industry("C4190", "工艺品", 0.8),
    Industry("C4210", "再生资源", 0.5),
    Industry("C4220", "再生材料", 0.3),
    Industry("C4320", "设备维修", 0.3),
)
