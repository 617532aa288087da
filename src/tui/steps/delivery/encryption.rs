//! Encrypting the copies: the "Encrypt copies" choice and, while it is on, one KMS key input
//! per copy region, in the copies' order. A key serves only its own region, so each row is
//! tied to its region: taking a region out of the copies drops its key.

use crate::spec::{DeliverySpec, Field, Finding, ImageSpec};
use crate::tui::widgets::choice::{Choice, ChoiceOption};
use crate::tui::widgets::text_field::{Note, TextField, notes_for};

/// What a key row shows while it is empty: the recipe rules allow it, and this is what
/// follows (the validators add the refusal when the image is shared).
const NO_KEY: &str = "none: ECS picks the key, and such a copy cannot be shared";

pub(super) fn encrypt_choice() -> Choice<bool> {
    Choice::new(
        "Encrypt copies",
        vec![
            ChoiceOption::new(
                Some(false),
                "no",
                "copies are encrypted only if the image is",
            ),
            ChoiceOption::new(
                Some(true),
                "yes",
                "every copy is encrypted, with its region's key below",
            ),
        ],
    )
}

/// The key inputs, one per copy region in `copy_to` order.
#[derive(Debug, Default)]
pub(super) struct KeyRows {
    rows: Vec<(String, TextField)>,
    /// The regions of the spec's `kms_key_ids`, in its order: a finding names a key by its
    /// place there.
    named: Vec<String>,
}

impl KeyRows {
    pub(super) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(super) fn field(&self, i: usize) -> Option<&TextField> {
        self.rows.get(i).map(|(_, f)| f)
    }

    pub(super) fn field_mut(&mut self, i: usize) -> Option<&mut TextField> {
        self.rows.get_mut(i).map(|(_, f)| f)
    }

    /// The region of row `i`.
    pub(super) fn region(&self, i: usize) -> Option<&str> {
        self.rows.get(i).map(|(r, _)| r.as_str())
    }

    /// Follows the spec: a row per copy region, its key as the spec holds it (a row being
    /// typed in keeps its text; it is what the spec holds anyway).
    pub(super) fn sync(&mut self, spec: &ImageSpec) {
        let delivery = spec.delivery.as_ref();
        let copy_to: &[String] = delivery.map_or(&[], |d| &d.copy_to);
        let mut old = std::mem::take(&mut self.rows);
        for region in copy_to {
            let mut field = match old.iter().position(|(r, _)| r == region) {
                Some(at) => old.swap_remove(at).1,
                None => TextField::new(format!("  {region}")).with_placeholder(NO_KEY),
            };
            // Switched off, the spec names no key and a row keeps what was typed for when
            // it is switched on again.
            let shown = match delivery.and_then(|d| d.kms_key_id(region)) {
                Some(key) => Some(key),
                None if delivery.is_some_and(|d| d.encrypt_copies) => Some(""),
                None => None,
            };
            if let Some(key) = shown
                && !field.is_editing()
                && field.value() != key
            {
                field.set_value(key);
            }
            self.rows.push((region.clone(), field));
        }
        let keys: &[(String, String)] = delivery.map_or(&[], |d| &d.kms_key_ids);
        self.named = keys.iter().map(|(r, _)| r.clone()).collect();
    }

    /// The row a finding about key `i` of `[delivery.kms_key_ids]` lands on: its region's,
    /// when a copy goes there.
    pub(super) fn row_of_key(&self, i: usize) -> Option<usize> {
        let region = self.named.get(i)?;
        self.rows.iter().position(|(r, _)| r == region)
    }

    /// The keys typed, by region, for when encryption is switched on.
    pub(super) fn typed(&self) -> Vec<(String, String)> {
        self.rows
            .iter()
            .map(|(region, field)| (region.clone(), field.value().trim().to_string()))
            .filter(|(_, key)| !key.is_empty())
            .collect()
    }

    /// The validators' findings about the keys given for row `i`'s region.
    pub(super) fn notes(&self, i: usize, spec: &ImageSpec, findings: &[Finding]) -> Vec<Note> {
        let Some(region) = self.region(i) else {
            return Vec::new();
        };
        key_fields(spec, |r| r == region)
            .flat_map(|field| notes_for(findings, field))
            .collect()
    }
}

/// The fields of the `[delivery.kms_key_ids]` entries whose region passes `pick`.
fn key_fields<'a>(
    spec: &'a ImageSpec,
    pick: impl Fn(&str) -> bool + 'a,
) -> impl Iterator<Item = Field> + 'a {
    let keys: &[(String, String)] = spec.delivery.as_ref().map_or(&[], |d| &d.kms_key_ids);
    keys.iter()
        .enumerate()
        .filter(move |(_, (region, _))| pick(region))
        .map(|(i, _)| Field::DeliveryKmsKeyId(i))
}

/// The findings shown on the "Encrypt copies" row: its own, the key table's, and those of keys
/// for regions no copy goes to (a recipe's; they have no row of their own).
pub(super) fn encrypt_notes(spec: &ImageSpec, findings: &[Finding]) -> Vec<Note> {
    let copy_to: &[String] = spec.delivery.as_ref().map_or(&[], |d| &d.copy_to);
    let mut notes = notes_for(findings, Field::DeliveryEncryptCopies);
    notes.extend(notes_for(findings, Field::DeliveryKmsKeyIds));
    for field in key_fields(spec, |r| !copy_to.iter().any(|c| c == r)) {
        notes.extend(notes_for(findings, field));
    }
    notes
}

/// Names `key` for `region` (replacing the one named); an empty key names none.
pub(super) fn set_key(delivery: &mut DeliverySpec, region: &str, key: &str) {
    let at = delivery.kms_key_ids.iter().position(|(r, _)| r == region);
    match (at, key.is_empty()) {
        (Some(at), true) => {
            delivery.kms_key_ids.remove(at);
        }
        (Some(at), false) => delivery.kms_key_ids[at].1 = key.to_string(),
        (None, true) => {}
        (None, false) => delivery
            .kms_key_ids
            .push((region.to_string(), key.to_string())),
    }
}

/// Forgets every key named for `region` (its copy is no longer made).
pub(super) fn drop_keys(delivery: &mut DeliverySpec, region: &str) {
    delivery.kms_key_ids.retain(|(r, _)| r != region);
}
