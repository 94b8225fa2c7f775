"""The case documents: every kind renders from its template and reads as the bureau sends it."""

import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from docx import Document

from mujun.disposal.documents import (
    ANY_CASE_KINDS,
    GOVERNMENT_CAUSE_BASIS,
    IDLE_LAND_KINDS,
    LEGAL_BASIS,
    TEMPLATES_ENV,
    DocumentData,
    DocumentKind,
    Holder,
    Milestone,
    Parcel,
    Plan,
    Task,
    document_number,
    render,
    template_path,
)
from mujun.policy.profiles import DOCUMENT_KINDS

PARCEL = Parcel("TL-2021-017", "桐庐县", 13_340.0, park="富春江科技城", location="横村镇工业功能区")
HOLDER = Holder("桐庐某某机械有限公司", "91330122MA2B0XXXX1")
TITLES = {
    DocumentKind.INVESTIGATION_NOTICE: "闲置土地调查通知书",
    DocumentKind.DETERMINATION: "闲置土地认定书",
    DocumentKind.HEARING_NOTICE: "听证告知书",
    DocumentKind.FEE_DECISION: "征缴土地闲置费决定书",
    DocumentKind.REVOCATION_DECISION: "收回国有建设用地使用权决定书",
    DocumentKind.PLAN: "一地一策处置方案",
    DocumentKind.DISPATCH: "派单通知",
}


NUMBER_CODES = {
    kind: "桐自然资闲" if kind in IDLE_LAND_KINDS else "桐自然资处" for kind in DocumentKind
}


def sample(kind: DocumentKind, **changes: object) -> DocumentData:
    """A document of the kind about PARCEL and HOLDER, issued by the Tonglu bureau, no. 3."""
    data = DocumentData(
        kind=kind,
        number=document_number(NUMBER_CODES[kind], 2025, 3),
        issued_on=date(2025, 3, 1),
        issuer="桐庐县自然资源和规划局",
        addressee=HOLDER.name,
        parcel=PARCEL,
        holder=HOLDER,
        contract_id="3301222019A21017",
        agreed_start_date=date(2021, 6, 30),
        idle_since=date(2021, 6, 30),
        idle_cause="国有建设用地使用权人自身原因",
        land_price_yuan=6_172_839.5,
        fee_yuan=1_234_567.9,
        criteria=("超过合同约定的动工开发日期满一年未动工开发",),
        legal_basis=LEGAL_BASIS[kind],
        hearing_request_by=date(2025, 3, 10),
        intended_decision=DocumentKind.FEE_DECISION,
        plan=Plan(
            path="自我提升",
            measures=("签订亩均效益提升协议", "2025年6月30日前动工建设"),
            responsible_unit="桐庐县经济和信息化局",
            due_on=date(2025, 12, 31),
            milestones=(Milestone("签订协议", date(2025, 4, 30)),),
        ),
        tasks=(
            Task("横村镇人民政府", "督促企业动工建设", date(2025, 6, 30)),
            Task("桐庐县税务局", "核实企业纳税情况", date(2025, 4, 15)),
        ),
    )
    return replace(data, **changes)  # type: ignore[arg-type]


def text_of(docx: bytes) -> str:
    """All the document's text: paragraphs, then the cells of its tables row by row."""
    document = Document(io.BytesIO(docx))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += ["|".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_every_kind_renders_its_number_title_addressee_subject_and_date(kind: DocumentKind) -> None:
    text = text_of(render(sample(kind)))
    assert f"{NUMBER_CODES[kind]}〔2025〕3号" in text
    assert TITLES[kind] in text
    assert "桐庐县自然资源和规划局" in text
    assert "2025年3月1日" in text
    assert HOLDER.name in text
    assert "{{" not in text
    assert "{%" not in text
    if kind is not DocumentKind.DISPATCH:
        assert "TL-2021-017" in text


@pytest.mark.parametrize("kind", sorted(IDLE_LAND_KINDS))
def test_idle_land_documents_name_the_land_its_area_dates_and_legal_basis(
    kind: DocumentKind,
) -> None:
    text = text_of(render(sample(kind)))
    assert f"{HOLDER.name}：" in text
    assert "桐庐县富春江科技城横村镇工业功能区" in text
    assert "13,340.00平方米（20.01亩）" in text
    assert "2021年6月30日" in text
    assert "3301222019A21017" in text
    assert "《闲置土地处置办法》（国土资源部令第53号）" in text
    assert "不详" not in text


def test_the_legal_basis_cites_the_articles_of_each_step() -> None:
    def basis(kind: DocumentKind) -> str:
        return "、".join(LEGAL_BASIS[kind])

    assert "第五条" in basis(DocumentKind.INVESTIGATION_NOTICE)
    assert "第九条" in basis(DocumentKind.DETERMINATION)
    assert "第十五条" in basis(DocumentKind.HEARING_NOTICE)
    assert "国土资源听证规定" in basis(DocumentKind.HEARING_NOTICE)
    assert "第十四条第（一）项" in basis(DocumentKind.FEE_DECISION)
    assert "第十四条第（二）项" in basis(DocumentKind.REVOCATION_DECISION)
    assert "第十二条" in "、".join(GOVERNMENT_CAUSE_BASIS)
    text = text_of(render(sample(DocumentKind.FEE_DECISION)))
    assert "第十四条第（一）项、第十七条的规定" in text


def test_the_investigation_notice_asks_for_materials_within_the_period() -> None:
    text = text_of(render(sample(DocumentKind.INVESTIGATION_NOTICE, reply_days=30)))
    assert "自接到本通知书之日起30日内" in text
    assert "91330122MA2B0XXXX1" in text


def test_the_determination_states_the_idle_facts() -> None:
    text = text_of(render(sample(DocumentKind.DETERMINATION)))
    assert "自2021年6月30日起闲置" in text
    assert "土地闲置原因：国有建设用地使用权人自身原因" in text
    assert "认定该宗地为闲置土地" in text


def test_the_fee_decision_states_the_amount_and_the_payment_period() -> None:
    text = text_of(render(sample(DocumentKind.FEE_DECISION, payment_days=30)))
    assert "6,172,839.50元（617.28万元）的百分之二十" in text
    assert "征缴土地闲置费1,234,567.90元（123.46万元）" in text
    assert "自本决定书送达之日起30日内缴纳" in text
    assert "桐庐县人民政府申请行政复议" in text


def test_an_unknown_price_prints_as_unknown_never_zero() -> None:
    data = sample(DocumentKind.FEE_DECISION, land_price_yuan=None, fee_yuan=None)
    text = text_of(render(data))
    assert "价款不详的百分之二十" in text
    assert "征缴土地闲置费不详" in text
    assert "0.00元" not in text


def test_an_unknown_area_prints_as_unknown() -> None:
    data = sample(DocumentKind.DETERMINATION, parcel=replace(PARCEL, area_m2=None))
    assert "面积不详" in text_of(render(data))
    assert PARCEL.area_mu == pytest.approx(20.01)


def test_the_revocation_decision_revokes_without_compensation_and_asks_for_deregistration() -> None:
    text = text_of(render(sample(DocumentKind.REVOCATION_DECISION, payment_days=30)))
    assert "未动工开发满两年" in text
    assert "无偿收回" in text
    assert "自本决定书送达之日起30日内，到本局办理国有建设用地使用权注销登记" in text


def test_the_hearing_notice_gives_the_right_the_deadline_and_the_intended_decision() -> None:
    text = text_of(render(sample(DocumentKind.HEARING_NOTICE)))
    assert "拟对你单位作出《征缴土地闲置费决定书》" in text
    assert "征缴土地闲置费1,234,567.90元（123.46万元）" in text
    assert "5个工作日内（即2025年3月10日前）" in text
    assert "无偿收回" not in text
    revocation = sample(
        DocumentKind.HEARING_NOTICE,
        intended_decision=DocumentKind.REVOCATION_DECISION,
        hearing_request_by=None,
    )
    text = text_of(render(revocation))
    assert "拟对你单位作出《收回国有建设用地使用权决定书》" in text
    assert "无偿收回" in text
    assert "5个工作日内向本局提出书面听证申请" in text


def test_the_mortgagee_is_copied_only_when_there_is_one() -> None:
    for kind in IDLE_LAND_KINDS:
        assert "抄送" not in text_of(render(sample(kind)))
        copied = text_of(render(sample(kind, mortgagee="中国工商银行桐庐支行")))
        assert "抄送：中国工商银行桐庐支行。" in copied


def test_the_plan_names_path_measures_unit_due_date_and_milestones() -> None:
    text = text_of(render(sample(DocumentKind.PLAN)))
    assert "自我提升" in text
    assert "（1）签订亩均效益提升协议" in text
    assert "（2）2025年6月30日前动工建设" in text
    assert "牵头责任单位：桐庐县经济和信息化局" in text
    assert "完成时限：2025年12月31日" in text
    assert "1|签订协议|2025年4月30日" in text
    assert "面积：13,340.00平方米（20.01亩）" in text


def test_the_plan_prints_its_agreed_per_mu_tax_only_when_it_has_one() -> None:
    assert "约定亩均税收" not in text_of(render(sample(DocumentKind.PLAN)))
    plan = sample(DocumentKind.PLAN).plan
    assert plan is not None
    agreed = sample(DocumentKind.PLAN, plan=replace(plan, tax_per_mu_target_yuan=52_000.0))
    assert "约定亩均税收：5.20万元/亩（出库评估时须达到）" in text_of(render(agreed))


def test_the_plan_of_an_enterprise_case_needs_no_parcel_nor_legal_basis() -> None:
    text = text_of(render(sample(DocumentKind.PLAN, parcel=None)))
    assert "地块编号" not in text
    assert "使用权人：桐庐某某机械有限公司" in text
    assert "的处置工作，制定本方案。" in text


def test_a_plan_of_government_cause_cites_the_negotiated_disposal() -> None:
    data = sample(DocumentKind.PLAN, legal_basis=GOVERNMENT_CAUSE_BASIS)
    text = text_of(render(data))
    assert "根据《闲置土地处置办法》（国土资源部令第53号）第八条、第十二条、第十三条的规定" in text


def test_the_dispatch_slip_lists_its_tasks() -> None:
    text = text_of(render(sample(DocumentKind.DISPATCH, addressee="各承办单位")))
    assert "各承办单位：" in text
    assert "序号|承办单位|任务|完成时限" in text
    assert "1|横村镇人民政府|督促企业动工建设|2025年6月30日" in text
    assert "2|桐庐县税务局|核实企业纳税情况|2025年4月15日" in text


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "{{ x }} 有限公司", "A&B 公司"])
def test_values_come_out_literally(name: str) -> None:
    text = text_of(render(sample(DocumentKind.FEE_DECISION, addressee=name)))
    assert f"{name}：" in text


def test_a_template_in_the_override_folder_replaces_the_shipped_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = Document()
    document.add_paragraph("本局自定义模板 {{ number }} {{ holder.name }}")
    document.save(str(tmp_path / "fee_decision.docx"))
    monkeypatch.setenv(TEMPLATES_ENV, str(tmp_path))
    text = text_of(render(sample(DocumentKind.FEE_DECISION)))
    assert text.strip() == f"本局自定义模板 桐自然资闲〔2025〕3号 {HOLDER.name}"
    assert template_path(DocumentKind.PLAN).name == "plan.docx"
    assert TITLES[DocumentKind.PLAN] in text_of(render(sample(DocumentKind.PLAN)))


def test_document_numbers() -> None:
    assert document_number("桐自然资闲", 2025, 3) == "桐自然资闲〔2025〕3号"
    assert document_number("汉自然资处", 2024, 12) == "汉自然资处〔2024〕12号"
    assert document_number("淳自然资规", 2026, 1) == "淳自然资规〔2026〕1号"
    with pytest.raises(ValueError, match="sequence"):
        document_number("桐自然资处", 2025, 0)
    with pytest.raises(ValueError, match="机关代字"):
        document_number(" ", 2025, 1)


def test_the_kinds() -> None:
    assert [kind.value for kind in DocumentKind] == [
        "investigation_notice",
        "determination",
        "hearing_notice",
        "fee_decision",
        "revocation_decision",
        "plan",
        "dispatch",
    ]
    assert set(DocumentKind) == IDLE_LAND_KINDS | ANY_CASE_KINDS
    assert not IDLE_LAND_KINDS & ANY_CASE_KINDS
    assert DocumentKind.FEE_DECISION.label_zh == "征缴土地闲置费决定书"
    assert DocumentKind.DISPATCH.label_en == "Dispatch slip"
    assert [kind.value for kind in DocumentKind] == list(DOCUMENT_KINDS)  # profiles name them
    assert DocumentKind.REVOCATION_DECISION.idle_land_only


def test_data_a_kind_cannot_print_is_refused() -> None:
    with pytest.raises(ValueError, match="parcel and its holder"):
        sample(DocumentKind.DETERMINATION, parcel=None)
    with pytest.raises(ValueError, match="legal basis"):
        sample(DocumentKind.DETERMINATION, legal_basis=())
    with pytest.raises(ValueError, match="subject"):
        sample(DocumentKind.PLAN, parcel=None, holder=None)
    with pytest.raises(ValueError, match="intended decision"):
        sample(DocumentKind.HEARING_NOTICE, intended_decision=DocumentKind.PLAN)
    with pytest.raises(ValueError, match="at least one task"):
        sample(DocumentKind.DISPATCH, tasks=())
    with pytest.raises(ValueError, match="negative"):
        sample(DocumentKind.FEE_DECISION, fee_yuan=-1.0)
