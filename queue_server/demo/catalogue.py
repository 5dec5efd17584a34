"""What the demo city's halls offer: their services (事项) and counters, before the random
choices of :func:`queue_server.demo.city.build_site` are made.

Service names and item codes follow the kind of errands Hangzhou's halls handle; the codes
are illustrative, not an official directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    """One service (事项) of the demo city, before the random choices are made."""

    id: str
    code: str
    prefix: str
    name: str
    name_en: str
    department: str
    typical_minutes: float
    popularity: float
    materials: tuple[tuple[str, str], ...]
    quota_range: tuple[int, int] | None = None
    split_slots: bool = False
    id_required: bool = True
    online: bool = False


@dataclass(frozen=True)
class WindowSpec:
    """One counter: its number, services with weights, starting state and whether staffed."""

    number: int
    profile: Mapping[str, float]
    state: str = "open"
    staffed: bool = True


ID_CARD = ("居民身份证原件", "Original resident identity card")


CIVIC_SERVICES = (
    ServiceSpec(
        id="civic-social-card",
        code="330100-GG-00217-003",
        prefix="A",
        name="社保卡补办",
        name_en="Social security card replacement",
        department="杭州市人力资源和社会保障局",
        typical_minutes=8,
        popularity=3.0,
        materials=(
            ID_CARD,
            (
                "近期免冠彩色照片一张（可现场拍照）",
                "One recent colour photo (can be taken on site)",
            ),
            ("原社保卡（损坏换卡时提供）", "The old card, when replacing a damaged one"),
        ),
        online=True,
    ),
    ServiceSpec(
        id="civic-medical",
        code="330100-GG-00305-001",
        prefix="B",
        name="医保业务（参保登记、异地就医备案）",
        name_en="Medical insurance (enrolment, out-of-town care registration)",
        department="杭州市医疗保障局",
        typical_minutes=10,
        popularity=2.5,
        materials=(
            ID_CARD,
            ("社会保障卡", "Social security card"),
            (
                "异地就医备案表（备案时提供）",
                "Out-of-town care registration form, when registering",
            ),
        ),
        online=True,
    ),
    ServiceSpec(
        id="civic-hukou",
        code="330100-QR-00112-002",
        prefix="C",
        name="户籍证明开具",
        name_en="Household registration certificate",
        department="杭州市公安局",
        typical_minutes=6,
        popularity=2.0,
        materials=(
            ID_CARD,
            ("居民户口簿", "Household register booklet (hukou)"),
            (
                "委托他人办理的，提供委托书及受托人身份证",
                "Power of attorney and agent's ID if by proxy",
            ),
        ),
    ),
    ServiceSpec(
        id="civic-exit-entry",
        code="330100-XK-00421-001",
        prefix="D",
        name="出入境证件办理（护照、往来港澳通行证）",
        name_en="Exit-entry documents (passport, Hong Kong and Macao permit)",
        department="杭州市公安局出入境管理局",
        typical_minutes=12,
        popularity=2.0,
        materials=(
            ID_CARD,
            ("现场采集照片和指纹", "Photo and fingerprints taken on site"),
            ("原证件（换发、补发时提供）", "The previous document, when renewing or replacing"),
        ),
    ),
    ServiceSpec(
        id="civic-business-licence",
        code="330100-XK-00036-005",
        prefix="E",
        name="营业执照办理（企业设立登记）",
        name_en="Business licence (company registration)",
        department="杭州市市场监督管理局",
        typical_minutes=20,
        popularity=1.2,
        materials=(
            ("公司登记（备案）申请书", "Company registration application form"),
            ("公司章程", "Articles of association"),
            (
                "股东主体资格证明或自然人身份证件",
                "Shareholders' certificates or identity documents",
            ),
            ("住所使用证明", "Proof of the registered address"),
        ),
        online=True,
    ),
    ServiceSpec(
        id="civic-consult",
        code="330100-GG-00001-001",
        prefix="F",
        name="综合咨询与帮办代办",
        name_en="General enquiries and assisted filing",
        department="杭州市数据资源管理局（市民中心服务管理办公室）",
        typical_minutes=5,
        popularity=1.5,
        materials=(("无需材料", "No documents needed"),),
        id_required=False,
    ),
)

CIVIC_ALL = {spec.id: 1.0 for spec in CIVIC_SERVICES}

CIVIC_WINDOWS = (
    WindowSpec(1, CIVIC_ALL),  # 无差别综合窗口
    WindowSpec(2, CIVIC_ALL),
    WindowSpec(3, {"civic-social-card": 2.0, "civic-medical": 1.0}),
    WindowSpec(4, {"civic-medical": 2.0, "civic-social-card": 1.0}),
    WindowSpec(5, {"civic-hukou": 2.0, "civic-exit-entry": 0.5}),
    WindowSpec(6, {"civic-exit-entry": 2.0}),
    WindowSpec(7, {"civic-exit-entry": 2.0, "civic-hukou": 1.0}),
    WindowSpec(8, {"civic-business-licence": 2.0}),
    WindowSpec(9, {"civic-business-licence": 2.0, "civic-consult": 0.0}),
    WindowSpec(
        10,
        {"civic-consult": 2.0, "civic-social-card": 0.0, "civic-medical": 0.0, "civic-hukou": 0.0},
    ),
)

ESTATE_SERVICES = (
    ServiceSpec(
        id="estate-transfer",
        code="330100-QR-00208-001",
        prefix="A",
        name="不动产转移登记（二手房过户）",
        name_en="Real estate transfer registration (resale)",
        department="杭州市规划和自然资源局（不动产登记服务中心）",
        typical_minutes=25,
        popularity=3.0,
        materials=(
            ("买卖双方居民身份证原件", "Original ID cards of buyer and seller"),
            ("不动产权证书原件", "Original real estate title certificate"),
            ("网签存量房买卖合同", "Registered resale contract"),
            ("完税凭证（税费可现场缴纳）", "Tax receipt (taxes may be paid on site)"),
        ),
        quota_range=(140, 200),
        split_slots=True,
    ),
    ServiceSpec(
        id="estate-mortgage",
        code="330100-QR-00211-002",
        prefix="B",
        name="不动产抵押登记",
        name_en="Mortgage registration",
        department="杭州市规划和自然资源局（不动产登记服务中心）",
        typical_minutes=18,
        popularity=2.0,
        materials=(
            ("抵押人、抵押权人身份证明", "Identity documents of mortgagor and mortgagee"),
            ("不动产权证书", "Real estate title certificate"),
            ("主债权合同及抵押合同", "Loan contract and mortgage contract"),
        ),
        quota_range=(100, 160),
        online=True,
    ),
    ServiceSpec(
        id="estate-records",
        code="330100-GG-00219-001",
        prefix="C",
        name="不动产登记资料查询",
        name_en="Real estate register enquiry",
        department="杭州市规划和自然资源局（不动产登记服务中心）",
        typical_minutes=6,
        popularity=2.5,
        materials=(
            ID_CARD,
            ("查询申请书（现场填写）", "Enquiry application (filled in on site)"),
        ),
        online=True,
    ),
    ServiceSpec(
        id="estate-reissue",
        code="330100-QR-00215-003",
        prefix="D",
        name="不动产权证书补证换证",
        name_en="Title certificate replacement",
        department="杭州市规划和自然资源局（不动产登记服务中心）",
        typical_minutes=15,
        popularity=0.8,
        materials=(
            ID_CARD,
            ("遗失声明或损坏的原证书", "Loss statement, or the damaged certificate"),
        ),
        quota_range=(50, 80),
    ),
)

ESTATE_WINDOWS = (
    WindowSpec(1, {"estate-transfer": 2.0, "estate-mortgage": 1.0}),
    WindowSpec(2, {"estate-transfer": 2.0, "estate-mortgage": 1.0}),
    WindowSpec(3, {"estate-mortgage": 2.0, "estate-transfer": 1.0}),
    WindowSpec(4, {"estate-records": 2.0, "estate-reissue": 0.0}),
    WindowSpec(5, {"estate-reissue": 2.0, "estate-records": 1.0}),
    # AB岗 backup counter, opened by a manager when the queue grows.
    WindowSpec(6, {"estate-transfer": 1.0, "estate-mortgage": 1.0}, "closed", staffed=False),
)

FUND_SERVICES = (
    ServiceSpec(
        id="fund-withdrawal",
        code="330100-JF-00102-001",
        prefix="A",
        name="住房公积金提取",
        name_en="Housing provident fund withdrawal",
        department="杭州住房公积金管理中心",
        typical_minutes=8,
        popularity=3.0,
        materials=(
            ID_CARD,
            ("本人银行卡（一类账户）", "Own bank card (type I account)"),
            ("购房合同、租赁备案或还贷证明", "Purchase contract, rental record or loan statement"),
        ),
        quota_range=(280, 400),
        online=True,
    ),
    ServiceSpec(
        id="fund-loan",
        code="330100-JF-00108-002",
        prefix="B",
        name="住房公积金贷款受理",
        name_en="Provident fund mortgage application",
        department="杭州住房公积金管理中心",
        typical_minutes=22,
        popularity=1.5,
        materials=(
            (
                "借款人及配偶身份证、户口簿、婚姻证明",
                "Borrower's and spouse's IDs, hukou, marriage proof",
            ),
            ("购房合同及首付款发票", "Purchase contract and down-payment invoice"),
            ("收入证明", "Proof of income"),
        ),
        quota_range=(60, 100),
        split_slots=True,
    ),
    ServiceSpec(
        id="fund-account",
        code="330100-GG-00110-001",
        prefix="C",
        name="公积金缴存与转移接续",
        name_en="Provident fund contributions and account transfer",
        department="杭州住房公积金管理中心",
        typical_minutes=10,
        popularity=1.5,
        materials=(
            ID_CARD,
            (
                "单位经办人授权委托书（单位业务）",
                "Employer's authorisation letter (employer business)",
            ),
        ),
        online=True,
    ),
)

FUND_WINDOWS = (
    WindowSpec(1, {"fund-withdrawal": 2.0, "fund-account": 1.0}),
    WindowSpec(2, {"fund-withdrawal": 2.0, "fund-account": 1.0}),
    WindowSpec(3, {"fund-loan": 2.0}),
    WindowSpec(4, {"fund-loan": 2.0, "fund-withdrawal": 0.0}),
    WindowSpec(5, {"fund-account": 2.0, "fund-withdrawal": 1.0}, "closed", staffed=False),
)
