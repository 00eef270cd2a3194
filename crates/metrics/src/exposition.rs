//! The Prometheus text exposition format, version 0.0.4: per family a
//! `# HELP` and a `# TYPE` line, then its samples, one a line.

use std::fmt::Write;

use crate::primitives::HistogramSnapshot;

/// The content type of the format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Labels of one sample, in order.
pub type Labels<'a> = &'a [(&'a str, &'a str)];

/// A page of exposition text being written. Every sample of a family must
/// follow its family's header, before the next family's.
#[derive(Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    pub fn new() -> Exposition {
        Exposition::default()
    }

    pub fn finish(self) -> String {
        self.text
    }

    /// Starts a family. A counter's name ends in `_total`; its `# TYPE`
    /// names it so, as the official clients do.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.text, "# TYPE {name} {}", kind.name());
    }

    pub fn sample(&mut self, name: &str, labels: Labels<'_>, value: f64) {
        self.text.push_str(name);
        self.labels(labels, None);
        self.text.push(' ');
        self.value(value);
        self.text.push('\n');
    }

    /// A histogram's `_bucket` (cumulative, `le` last), `_sum` and `_count`.
    pub fn histogram(&mut self, name: &str, labels: Labels<'_>, histogram: &HistogramSnapshot) {
        for (index, count) in histogram.cumulative.iter().enumerate() {
            let bound = match histogram.bounds.get(index) {
                Some(bound) => format_value(*bound as f64 / histogram.scale),
                None => "+Inf".to_string(),
            };
            let _ = write!(self.text, "{name}_bucket");
            self.labels(labels, Some(&bound));
            let _ = writeln!(self.text, " {count}");
        }
        let total = histogram.cumulative.last().copied().unwrap_or(0);
        self.sample(&format!("{name}_sum"), labels, histogram.sum);
        self.sample(&format!("{name}_count"), labels, total as f64);
    }

    fn labels(&mut self, labels: Labels<'_>, le: Option<&str>) {
        if labels.is_empty() && le.is_none() {
            return;
        }
        self.text.push('{');
        let mut first = true;
        for (name, value) in labels.iter().copied().chain(le.map(|le| ("le", le))) {
            if !first {
                self.text.push(',');
            }
            first = false;
            let _ = write!(self.text, "{name}=\"");
            escape_label_value(&mut self.text, value);
            self.text.push('"');
        }
        self.text.push('}');
    }

    fn value(&mut self, value: f64) {
        self.text.push_str(&format_value(value));
    }
}

/// A sample value: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        // Rust's shortest round-trip form never uses an exponent.
        format!("{value}")
    }
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::{Histogram, BATCH_SIZES, LATENCY_SECONDS};

    #[test]
    fn families_and_samples_follow_the_text_format() {
        let mut page = Exposition::new();
        page.family("halyard_requests_total", Kind::Counter, "Requests.\nAll of them.");
        page.sample(
            "halyard_requests_total",
            &[("table", "t1"), ("operation", "GetItem")],
            3.0,
        );
        page.sample("halyard_requests_total", &[], 0.5);
        page.family("halyard_odd", Kind::Gauge, "Back\\slash");
        page.sample("halyard_odd", &[("table", "a\"b\\c\nd")], f64::INFINITY);
        assert_eq!(
            page.finish(),
            "# HELP halyard_requests_total Requests.\\nAll of them.\n\
             # TYPE halyard_requests_total counter\n\
             halyard_requests_total{table=\"t1\",operation=\"GetItem\"} 3\n\
             halyard_requests_total 0.5\n\
             # HELP halyard_odd Back\\\\slash\n\
             # TYPE halyard_odd gauge\n\
             halyard_odd{table=\"a\\\"b\\\\c\\nd\"} +Inf\n"
        );
    }

    #[test]
    fn histograms_are_cumulative_with_le_last_and_an_inf_bucket() {
        let histogram = Histogram::new(&BATCH_SIZES);
        histogram.observe(3);
        histogram.observe(700);
        let mut page = Exposition::new();
        page.family("halyard_writer_batch_size", Kind::Histogram, "Commands per batch.");
        page.histogram("halyard_writer_batch_size", &[("a", "b")], &histogram.snapshot());
        let text = page.finish();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "halyard_writer_batch_size_bucket{a=\"b\",le=\"1\"} 0");
        assert_eq!(lines[4], "halyard_writer_batch_size_bucket{a=\"b\",le=\"4\"} 1");
        assert_eq!(lines[11], "halyard_writer_batch_size_bucket{a=\"b\",le=\"512\"} 1");
        assert_eq!(lines[12], "halyard_writer_batch_size_bucket{a=\"b\",le=\"+Inf\"} 2");
        assert_eq!(lines[13], "halyard_writer_batch_size_sum{a=\"b\"} 703");
        assert_eq!(lines[14], "halyard_writer_batch_size_count{a=\"b\"} 2");
        assert_eq!(lines.len(), 15);
    }

    #[test]
    fn latency_bounds_are_written_in_seconds() {
        let histogram = Histogram::new(&LATENCY_SECONDS);
        let mut page = Exposition::new();
        page.histogram("x", &[], &histogram.snapshot());
        let text = page.finish();
        assert!(text.starts_with("x_bucket{le=\"0.0001\"} 0\nx_bucket{le=\"0.00025\"} 0\n"));
        assert!(text.contains("x_bucket{le=\"10\"} 0\nx_bucket{le=\"+Inf\"} 0\nx_sum 0\nx_count 0\n"));
    }
}
