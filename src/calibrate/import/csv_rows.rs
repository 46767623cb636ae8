//! The row loop both CSV importers share: read the file, map the header through a
//! [`ColumnMap`], parse each row, and report every unreadable or malformed row with its line.

use std::path::Path;

use super::columns::{Column, ColumnMap};
use super::{ImportError, ImportReport, read_text};

/// Reads the CSV at `path`, resolves `spec` against its header, and parses each row with
/// `parse_row` (given the row and the resolved column indices), returning each record with the
/// 1-based line it was read from. Rows that fail are counted in the report as malformed, with
/// their line, and skipped.
pub(super) fn import_rows<T>(
    path: &Path,
    columns: &ColumnMap,
    spec: &[Column],
    parse_row: impl Fn(&csv::StringRecord, &[Option<usize>]) -> Result<T, String>,
) -> Result<(Vec<(u64, T)>, ImportReport), ImportError> {
    let file = path.display().to_string();
    let (text, bad) = read_text(path)?;
    if let Some(b) = bad.first().filter(|b| b.line == 1) {
        // Without its header no row can be read.
        return Err(ImportError::Header {
            file,
            message: format!("the header: {}", b.reason),
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| ImportError::Header {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let idx = columns.resolve(&file, spec, &header.clone())?;
    let mut report = ImportReport {
        files: vec![file.clone()],
        lines: bad.len() as u64,
        malformed: bad,
        ..ImportReport::default()
    };
    let mut records = Vec::new();
    for row in reader.records() {
        report.lines += 1;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(&text, p.byte()));
                report.malformed(&file, line, format!("unreadable CSV record: {e}"));
                continue;
            }
        };
        let line = row.position().map_or(0, |p| line_at(&text, p.byte()));
        match parse_row(&row, &idx) {
            Ok(record) => {
                report.records += 1;
                records.push((line, record));
            }
            Err(reason) => report.malformed(&file, line, reason),
        }
    }
    Ok((records, report))
}

/// The 1-based line of byte `offset`, counting `\n` (the csv crate's own line count is one
/// low in files with CRLF line endings, what Python's csv module writes by default).
fn line_at(text: &str, offset: u64) -> u64 {
    let mut end = (offset as usize).min(text.len());
    // With CRLF endings the reader places a record at the `\n` of the `\r\n` before it.
    if text.as_bytes().get(end) == Some(&b'\n') {
        end += 1;
    }
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_are_counted_alike_with_lf_and_crlf() {
        assert_eq!(super::line_at("a\nb\nc", 4), 3);
        assert_eq!(super::line_at("a\r\nb\r\nc", 6), 3);
        // A record placed at the `\n` of the CRLF before it.
        assert_eq!(super::line_at("a\r\nb\r\nc", 5), 3);
        assert_eq!(super::line_at("abc", 0), 1);
    }
}
