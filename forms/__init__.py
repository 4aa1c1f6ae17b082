"""Cairn form definitions and their validation (pure: reads only bundled definition files).

Modules:
    schema      the definition Structs (FormDef, fields as a tagged union, IdentifierRule,
                Problem) and the GNSS vocabularies
    definition  decoding parsed TOML into a FormDef, collecting every located problem
    rules       semantic checks of a definition (names, ranges, regexes, identifiers)
    library     load_form_file, FormLibrary (every version), builtin_library, parse_form_ref
    validate    validate / validate_item of record values, with compiled per-form checkers
    checkers, geo, primitives   the per-type value checkers behind validate
    evolution   check_evolution: what a new version of a form may change
    errors      the exception hierarchy

Value conventions and the version rules are documented in docs/forms.md.
"""
