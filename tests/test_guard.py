"""audit.intake.guard: direct identifiers in column names and values are refused, never echoed."""

from __future__ import annotations

import pytest

from audit.contract import KNOWN_COLUMNS
from audit.errors import IdentifierError, ValidationError
from audit.intake.guard import (
    check_identifiers,
    find_identifiers,
    is_uk_postcode,
    is_valid_nhs_number,
)
from audit.intake.read import read_extract
from audit.intake.validate import load_extract
from conftest import BROKEN, REQUIRED_HEADER, TODAY

# Check digits worked out by hand (weights 10..2 on the first nine digits):
#   943 476 591: 90+36+24+28+42+30+20+27+2 = 299; 299 mod 11 = 2; 11-2 = 9 -> 943 476 5919
#   401 023 213: 40+0+8+0+12+15+8+3+6 = 92; 92 mod 11 = 4; 11-4 = 7      -> 401 023 2137
#   000 001 003: 5+6 = 11; 11 mod 11 = 0; 11-0 = 11 -> check digit 0    -> 000 001 0030
#   000 000 006: 6*2 = 12; 12 mod 11 = 1; 11-1 = 10 -> no valid number  -> 000 000 006x
VALID_NHS = ["943 476 5919", "9434765919", "4010232137", "401-023-2137", " 943 476 5919 ",
             "0000010030"]
INVALID_NHS = ["9434765918", "943 476 5910", "4010232136", "0000000060", "0000000069",
               "943476591", "94347659190", "abcdefghij", "", "943 476 591 9x"]
POSTCODES = ["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "EC1A 1BB", "sw1a1aa",
             "b338th", " W1A 0AX ", "GIR 0AA"]
NOT_POSTCODES = ["C-0001", "SW1A", "1AA", "yes", "2024-01-05", "31/01/2024", "early_help",
                 "QQ1 1AA", "B33 8TC"]


@pytest.mark.parametrize("number", VALID_NHS)
def test_valid_nhs_numbers(number):
    assert is_valid_nhs_number(number)


@pytest.mark.parametrize("number", INVALID_NHS)
def test_invalid_nhs_numbers(number):
    assert not is_valid_nhs_number(number)


def test_nhs_number_needs_text():
    assert not is_valid_nhs_number(9434765919)  # type: ignore[arg-type]
    assert not is_valid_nhs_number(None)  # type: ignore[arg-type]


def test_check_digit_ten_makes_every_last_digit_invalid():
    assert not any(is_valid_nhs_number(f"000000006{d}") for d in range(10))


@pytest.mark.parametrize("code", POSTCODES)
def test_postcodes(code):
    assert is_uk_postcode(code)


@pytest.mark.parametrize("code", NOT_POSTCODES)
def test_not_postcodes(code):
    assert not is_uk_postcode(code)


# ------------------------------------------------------------------------ column names

IDENTIFIER_HEADERS = ["Surname", "Forename", "First Name", "Child's name", "Father name",
                      "Date of Birth", "DOB", "D.O.B.", "Birth date", "NHS Number", "NHS No",
                      "NHS", "Postcode", "Post Code", "Address", "Home address", "Phone",
                      "Telephone number", "Mobile", "Email", "E-mail"]


@pytest.mark.parametrize("header", IDENTIFIER_HEADERS)
def test_identifier_column_names_are_refused(write, header):
    raw = read_extract(write(f"case_id,{header}\nC-1,x\n"))
    [problem] = find_identifiers(raw)
    assert problem.row is None
    assert problem.column == header
    assert "direct identifier" in problem.message


def test_no_contract_column_is_an_identifier(write):
    header = ",".join(KNOWN_COLUMNS)
    row = "C-1" + "," * (len(KNOWN_COLUMNS) - 1)
    raw = read_extract(write(f"{header}\n{row}\n"))
    assert set(raw.frame.columns) == set(KNOWN_COLUMNS)
    assert find_identifiers(raw) == []


@pytest.mark.parametrize("header", ["Case ID", "Partnership", "Named worker role", "Unnamed",
                                    "Father Age At Birth", "Notification Date", "Address known",
                                    "Postal region"])
def test_harmless_headers_pass(write, header):
    raw = read_extract(write(f"{header}\nx\n"))
    problems = find_identifiers(raw)
    # "Address known" contains the word address: refused, as the contract asks.
    if header == "Address known":
        assert len(problems) == 1
    else:
        assert problems == []


def test_identifier_column_sample_is_refused_before_anything_else():
    with pytest.raises(IdentifierError) as caught:
        load_extract(BROKEN / "identifier_column.csv", today=TODAY)
    assert [p.column for p in caught.value.problems] == ["Surname"]
    assert "Exampleson" not in str(caught.value)


# ------------------------------------------------------------------------------ values


@pytest.mark.parametrize("value", VALID_NHS[:4] + ["NHS no 943 476 5919 on file",
                                                   "ref:4010232137;"])
def test_nhs_number_values_are_refused_without_echo(write, value):
    path = write(f'{REQUIRED_HEADER},notes\nC-1,2024-01-05,3,birth_father,universal,ok\n'
                 f'C-2,2024-01-05,3,birth_father,universal,"{value}"\n')
    with pytest.raises(IdentifierError) as caught:
        check_identifiers(read_extract(path))
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (3, "notes")
    assert "NHS number" in problem.message
    digits = value.replace(" ", "").replace("-", "")
    for text in (str(caught.value), repr(caught.value), repr(caught.value.problems)):
        assert value.strip() not in text
        assert digits[-10:] not in text


@pytest.mark.parametrize("value", POSTCODES[:8] + ["lives near SW1A 1AA now"])
def test_postcode_values_are_refused_without_echo(write, value):
    path = write(f"case_id,area\nC-1,north\nC-2,{value}\n")
    with pytest.raises(IdentifierError) as caught:
        check_identifiers(read_extract(path))
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (3, "area")
    assert "postcode" in problem.message
    for text in (str(caught.value), repr(caught.value), repr(caught.value.problems)):
        assert value.strip() not in text
        assert value.strip().upper().replace(" ", "") not in text.upper().replace(" ", "")


@pytest.mark.parametrize("value", INVALID_NHS[:5] + NOT_POSTCODES + [
    "12345678901",          # eleven digits
    "1234 567 8901",        # a 3-3-4 group glued to a longer run of digits
    "room b12 3rd floor",   # postcode-shaped but lower case, inside text
    "C-0001", "C-000000001",
])
def test_harmless_values_pass(write, value):
    raw = read_extract(write(f"case_id,note\nC-1,{value}\n"))
    assert find_identifiers(raw) == []


def test_a_ten_digit_case_id_with_a_valid_check_digit_is_refused(write):
    raw = read_extract(write("case_id,x\n9434765919,a\n9434765918,b\n"))
    problems = find_identifiers(raw)
    assert [(p.row, p.column) for p in problems] == [(2, "case_id")]


def test_every_problem_is_reported_at_once(write):
    path = write("case_id,Surname,notes,area\n"
                 "C-1,Exampleson,943 476 5919,M1 1AE\n"
                 "C-2,Sampleton,fine,fine\n"
                 "4010232137,Other,fine,EC1A 1BB\n")
    problems = find_identifiers(read_extract(path))
    assert {(p.row, p.column) for p in problems} == {
        (None, "Surname"), (4, "case_id"), (2, "notes"), (2, "area"), (4, "area")}


def test_rows_are_capped_per_column(write):
    body = "".join(f"C-{i},943 476 5919\n" for i in range(50))
    problems = find_identifiers(read_extract(write("case_id,notes\n" + body)))
    listed = [p for p in problems if p.row is not None]
    assert [p.row for p in listed] == list(range(2, 22))
    assert problems[-1].row is None
    assert problems[-1].message == "and 30 more rows that look like NHS numbers"


def test_header_that_is_an_nhs_number_is_not_quoted(write):
    raw = read_extract(write("case_id,9434765919\nC-1,x\n"))
    problems = find_identifiers(raw)
    assert problems
    assert all("9434765919" not in str(p) for p in problems)


def test_identifier_error_is_a_validation_error(write):
    assert issubclass(IdentifierError, ValidationError)
    with pytest.raises(IdentifierError, match="direct identifiers"):
        check_identifiers(read_extract(write("case_id,email\nC-1,x\n")))


def test_sample_files_are_refused_at_the_named_cell():
    with pytest.raises(IdentifierError) as nhs:
        load_extract(BROKEN / "nhs_number_value.csv", today=TODAY)
    assert [(p.row, p.column) for p in nhs.value.problems] == [(3, "notes")]
    assert "2137" not in str(nhs.value)

    with pytest.raises(IdentifierError) as postcode:
        load_extract(BROKEN / "postcode_value.csv", today=TODAY)
    assert [(p.row, p.column) for p in postcode.value.problems] == [(3, "area")]
    assert "8TH" not in str(postcode.value)


def test_guard_runs_before_validation(write):
    # Bad codes and an NHS number: only the identifier is reported.
    path = write(f"{REQUIRED_HEADER}\nC-1,not a date,x,uncle,cpp\nC-2,2024-01-05,3,9434765919,none\n")
    with pytest.raises(IdentifierError) as caught:
        load_extract(path, today=TODAY)
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "harmed_by")]


@pytest.mark.parametrize(("header", "kind"), [
    ("Surname", "name"), ("Date of Birth", "date of birth"), ("DOB", "date of birth"),
    ("NHS Number", "NHS number"), ("Post Code", "postcode"), ("Home address", "address"),
    ("Mobile", "phone number"), ("E-mail", "email address"),
])
def test_identifier_column_message_says_what_it_looks_like(write, header, kind):
    [problem] = find_identifiers(read_extract(write(f"case_id,{header}\nC-1,x\n")))
    assert f"({kind})" in problem.message


def test_a_long_identifier_header_is_cut_in_the_message(write):
    header = "Surname " + "of the father " * 500
    with pytest.raises(IdentifierError) as caught:
        load_extract(write(f"{REQUIRED_HEADER},{header}\nC-1,2024-01-05,3,,,Exampleson\n"),
                     today=TODAY)
    [problem] = caught.value.problems
    assert problem.column.startswith("Surname of the father") and len(problem.column) == 60
    assert "Exampleson" not in str(caught.value)
    assert len(str(caught.value)) < 500


def test_identifiers_in_a_headerless_file_are_refused_before_the_header_is_diagnosed(write):
    # Row 1 is data: its NHS number is refused as a header, never quoted.
    with pytest.raises(IdentifierError) as caught:
        load_extract(write("C-1,2024-01-05,401 023 2137\nC-2,2024-01-06,x\n"), today=TODAY)
    assert "4010232137" not in str(caught.value).replace(" ", "")
    assert "looks like an NHS number or postcode" in str(caught.value)


def test_the_data_contract_s_name_examples_are_what_the_guard_does():
    """Analyst 2, A8: docs/data-contract.md said 'Father first name' is not refused, and it
    is. Every header its names row gives as refused is refused, every organisation it
    gives as allowed is allowed, and no header the guard refuses is called allowed."""
    import re
    from pathlib import Path

    from audit.contract import IDENTIFIER_COLUMN_PATTERNS, normalise_column_name

    def refused(header: str) -> bool:
        name = normalise_column_name(header)
        return any(p.search(name) for p in IDENTIFIER_COLUMN_PATTERNS)

    text = (Path(__file__).parents[1] / "docs" / "data-contract.md").read_text(encoding="utf-8")
    (row,) = [line for line in text.splitlines() if line.startswith("| a name |")]
    examples = re.findall(r"`([^`]+)`", row.rsplit("|", 2)[1])
    assert "Father first name" in examples and "Name (father)" in examples
    assert [h for h in examples if not refused(h)] == []
    for allowed in ("Partnership name", "Team name", "School name", "NHS trust"):
        assert allowed in text and not refused(allowed), allowed
    for header in ("Initials", "Father's details"):  # said to be not refused: true
        assert header in text and not refused(header)
    assert "`Father first name`, `Mother's first name`" not in text  # the old list of misses
