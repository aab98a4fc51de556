//! A text in a scenario: a plain string, or `{ en = "...", ko = "..." }`.

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Ko,
}

/// A lesson or scenario text. A plain string has no Korean; `get(Ko)` then falls back to English.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text {
    pub en: String,
    pub ko: Option<String>,
}

impl Text {
    #[must_use]
    pub fn plain(s: &str) -> Text {
        Text {
            en: s.to_owned(),
            ko: None,
        }
    }

    /// The text in `lang`, or English where no translation exists.
    #[must_use]
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ko => self.ko.as_deref().unwrap_or(&self.en),
            Lang::En => &self.en,
        }
    }

    /// Both languages are present.
    #[must_use]
    pub fn is_bilingual(&self) -> bool {
        self.ko.as_deref().is_some_and(|k| !k.trim().is_empty()) && !self.en.trim().is_empty()
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match &self.ko {
            None => s.serialize_str(&self.en),
            Some(ko) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("en", &self.en)?;
                m.serialize_entry("ko", ko)?;
                m.end()
            }
        }
    }
}

/// The first control character of `s` other than a tab or a line break: it would reach a
/// terminal as an escape sequence (`run` prints titles and names).
fn control_char(s: &str) -> Option<char> {
    s.chars()
        .find(|&c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
}

fn refuse_control<E: de::Error>(s: &str) -> Result<(), E> {
    match control_char(s) {
        Some(c) => Err(E::custom(format!(
            "a text has the control character U+{:04X}: only tabs and line breaks are allowed",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a string or a table { en = "...", ko = "..." }"#)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                refuse_control(v)?;
                Ok(Text::plain(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                let mut en: Option<String> = None;
                let mut ko: Option<String> = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "en" => en = Some(map.next_value()?),
                        "ko" => ko = Some(map.next_value()?),
                        other => {
                            return Err(de::Error::unknown_field(other, &["en", "ko"]));
                        }
                    }
                }
                let en = en.ok_or_else(|| de::Error::missing_field("en"))?;
                refuse_control(&en)?;
                if let Some(k) = &ko {
                    refuse_control(k)?;
                }
                Ok(Text { en, ko })
            }
        }
        d.deserialize_any(TextVisitor)
    }
}

/// A plain string, or `{ en, ko }` (English required).
impl schemars::JsonSchema for Text {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Text".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A plain string, or the text in English and Korean: { en = \"...\", ko = \"...\" }",
            "anyOf": [
                { "type": "string" },
                {
                    "type": "object",
                    "properties": {
                        "en": { "type": "string", "description": "English" },
                        "ko": { "type": "string", "description": "Korean (한국어)" }
                    },
                    "required": ["en"],
                    "additionalProperties": false
                }
            ]
        })
    }
}
