//! Nothing: the package exists for `ui.rs`, its trybuild cases (`*/pass`, `*/fail`).
