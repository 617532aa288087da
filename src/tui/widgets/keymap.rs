//! Keys as data. Every screen, mode and overlay describes its keys once, as a [`Keymap`] of
//! bindings (keys → action, with a label); the same value dispatches a key press, draws the
//! footer and writes the help, so the three cannot disagree.
//!
//! A screen builds its keymap from its state (`fn keymap(&self, …) -> Keymap<Action>`): a key
//! that does nothing in some mode is simply not bound there. The app adds the global keys,
//! leaving out those the screen uses for itself (`q` while a filter takes text).

use std::borrow::Cow;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key and what it does, as shown in footers and dialog borders (`("Enter", "choose")`).
pub type KeyHint = (Cow<'static, str>, Cow<'static, str>);

/// A key press, or a class of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// This key with exactly these modifiers (Shift is not compared: terminals differ on it for
    /// capitals and Shift-Tab).
    On(KeyCode, KeyModifiers),
    /// Any printable character typed without Ctrl or Alt, except the ones listed.
    Text { except: &'static str },
    /// Any key at all: a modal question swallows what it does not answer.
    Any,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key::On(code, KeyModifiers::NONE)
    }

    pub const fn char(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Key {
        Key::On(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    pub const fn ctrl_code(code: KeyCode) -> Key {
        Key::On(code, KeyModifiers::CONTROL)
    }

    pub const fn alt(code: KeyCode) -> Key {
        Key::On(code, KeyModifiers::ALT)
    }

    /// Any character, `q` and `?` included (a text being edited).
    pub const TEXT: Key = Key::Text { except: "" };

    /// Whether `event` is this key.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        let mods = event.modifiers - KeyModifiers::SHIFT;
        match *self {
            Key::On(code, want) => event.code == code && mods == want - KeyModifiers::SHIFT,
            Key::Any => true,
            Key::Text { except } => match event.code {
                KeyCode::Char(c) => {
                    !mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                        && !c.is_control()
                        && !except.contains(c)
                }
                _ => false,
            },
        }
    }

    /// Whether every press of `other` is also a press of this key.
    pub fn covers(&self, other: &Key) -> bool {
        match (*self, *other) {
            (Key::Any, _) => true,
            (_, Key::Any) => false,
            (Key::On(..), Key::On(code, mods)) => self.matches(&KeyEvent::new(code, mods)),
            (Key::Text { except }, Key::Text { except: other }) => {
                except.chars().all(|c| other.contains(c))
            }
            (Key::On(..), Key::Text { .. }) => false,
            (Key::Text { .. }, Key::On(code, mods)) => self.matches(&KeyEvent::new(code, mods)),
        }
    }

    /// How the key is written in footers and help: `Enter`, `^R`, `↑`, `Alt-b`.
    pub fn label(&self) -> Cow<'static, str> {
        let (code, mods) = match *self {
            Key::Text { .. } => return "type".into(),
            Key::Any => return "other keys".into(),
            Key::On(code, mods) => (code, mods),
        };
        let name: Cow<'static, str> = match code {
            KeyCode::Char(' ') => "Space".into(),
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                c.to_ascii_uppercase().to_string().into()
            }
            KeyCode::Char(c) => c.to_string().into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Insert => "Ins".into(),
            KeyCode::F(n) => format!("F{n}").into(),
            other => format!("{other:?}").into(),
        };
        if mods.contains(KeyModifiers::CONTROL) {
            format!("^{name}").into()
        } else if mods.contains(KeyModifiers::ALT) {
            format!("Alt-{name}").into()
        } else {
            name
        }
    }
}

/// The footer's short label of a binding's keys: its first key, or its leading arrows (`↑↓`).
/// The help lists them all.
fn primary_label(keys: impl IntoIterator<Item = Key>) -> String {
    let arrow = |s: &str| matches!(s, "↑" | "↓" | "←" | "→");
    let mut out = String::new();
    for key in keys {
        let label = key.label();
        if out.is_empty() {
            out.push_str(&label);
            if !arrow(&label) {
                break;
            }
        } else if arrow(&label) && !out.contains(label.as_ref()) {
            out.push_str(&label);
        } else {
            break;
        }
    }
    out
}

/// The label of several keys: arrows run together (`↑↓`), others are joined by `/`.
fn keys_label(keys: impl IntoIterator<Item = Key>) -> String {
    let arrow = |s: &str| matches!(s, "↑" | "↓" | "←" | "→");
    let mut out = String::new();
    let mut last: Option<Cow<'static, str>> = None;
    for key in keys {
        let label = key.label();
        if last.as_ref() == Some(&label) {
            continue;
        }
        if let Some(previous) = &last
            && !(arrow(previous) && arrow(&label))
        {
            out.push('/');
        }
        out.push_str(&label);
        last = Some(label);
    }
    out
}

/// Keys that do one thing (or, like ↑↓, a pair of related things), with what they do.
#[derive(Debug, Clone)]
pub struct Binding<A> {
    pub keys: Vec<(Key, A)>,
    /// Short, for the footer ("choose").
    pub label: Cow<'static, str>,
    /// Longer, for the help popup; the label when `None`.
    pub help: Option<Cow<'static, str>>,
    /// Whether the footer shows it (the help always does).
    pub footer: bool,
}

/// One screen's (or mode's) keys. The first binding that matches a key wins.
#[derive(Debug, Clone)]
pub struct Keymap<A> {
    bindings: Vec<Binding<A>>,
    /// Plain sentences for the help popup, after the keys.
    notes: Vec<Cow<'static, str>>,
}

impl<A> Default for Keymap<A> {
    fn default() -> Self {
        Keymap {
            bindings: Vec::new(),
            notes: Vec::new(),
        }
    }
}

impl<A: Clone> Keymap<A> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Binds `keys` to `action`, shown in the footer as `label`.
    pub fn bind(
        self,
        keys: impl IntoIterator<Item = Key>,
        action: A,
        label: impl Into<Cow<'static, str>>,
    ) -> Self {
        let pairs: Vec<(Key, A)> = keys.into_iter().map(|k| (k, action.clone())).collect();
        self.bind_each(pairs, label)
    }

    /// Binds each key to its own action, shown together (`↑↓ move`).
    pub fn bind_each(
        mut self,
        pairs: impl IntoIterator<Item = (Key, A)>,
        label: impl Into<Cow<'static, str>>,
    ) -> Self {
        self.bindings.push(Binding {
            keys: pairs.into_iter().collect(),
            label: label.into(),
            help: None,
            footer: true,
        });
        self
    }

    /// The help popup's text for the binding just added.
    pub fn help(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        if let Some(last) = self.bindings.last_mut() {
            last.help = Some(text.into());
        }
        self
    }

    /// Keeps the binding just added out of the footer (it stays in the help).
    pub fn quiet(mut self) -> Self {
        if let Some(last) = self.bindings.last_mut() {
            last.footer = false;
        }
        self
    }

    /// [`Keymap::quiet`] when `condition` holds (a key that only explains why it cannot act
    /// now stays out of the footer).
    pub fn quiet_if(self, condition: bool) -> Self {
        if condition { self.quiet() } else { self }
    }

    /// A sentence for the help popup.
    pub fn note(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.notes.push(text.into());
        self
    }

    /// Applies `f` only when `condition` holds (bindings that exist in some states only).
    pub fn when(self, condition: bool, f: impl FnOnce(Self) -> Self) -> Self {
        if condition { f(self) } else { self }
    }

    /// Another keymap's bindings after these, its actions wrapped by `wrap`.
    pub fn with<B: Clone>(mut self, other: Keymap<B>, wrap: impl Fn(B) -> A) -> Self {
        self.bindings
            .extend(other.bindings.into_iter().map(|b| Binding {
                keys: b.keys.into_iter().map(|(k, a)| (k, wrap(a))).collect(),
                label: b.label,
                help: b.help,
                footer: b.footer,
            }));
        self.notes.extend(other.notes);
        self
    }

    /// The action bound to `event`, if any.
    pub fn action(&self, event: &KeyEvent) -> Option<A> {
        self.bindings
            .iter()
            .flat_map(|b| &b.keys)
            .find(|(key, _)| key.matches(event))
            .map(|(_, action)| action.clone())
    }

    /// The same keys without their actions: what footers and help draw from.
    pub fn keys(&self) -> Keys {
        Keys {
            bindings: self
                .effective()
                .iter()
                .map(|b| Binding {
                    keys: b.keys.iter().map(|(k, _)| (*k, ())).collect(),
                    label: b.label.clone(),
                    help: b.help.clone(),
                    footer: b.footer,
                })
                .collect(),
            notes: self.notes.clone(),
        }
    }

    /// Whether a press of `key` is bound here.
    pub fn uses(&self, key: &Key) -> bool {
        self.bindings
            .iter()
            .flat_map(|b| &b.keys)
            .any(|(k, _)| k.covers(key))
    }

    /// Drops the keys `screen` uses (and bindings left without keys): the global keys a screen
    /// does not take for itself.
    pub fn unless_used_by<B>(mut self, screen: &Keymap<B>) -> Self
    where
        B: Clone,
    {
        for binding in &mut self.bindings {
            binding.keys.retain(|(k, _)| !screen.uses(k));
        }
        self.bindings.retain(|b| !b.keys.is_empty());
        self
    }
}

/// A keymap without actions.
pub type Keys = Keymap<()>;

/// One line of the help popup: keys and what they do, or a sentence (no keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpLine {
    pub keys: String,
    pub text: Cow<'static, str>,
}

impl<A: Clone> Keymap<A> {
    /// The bindings as a key press meets them: keys an earlier binding already takes are left
    /// out (and bindings left without keys), so nothing shown is a key that does something else.
    fn effective(&self) -> Vec<Binding<A>> {
        let mut seen: Vec<Key> = Vec::new();
        let mut out = Vec::new();
        for binding in &self.bindings {
            let keys: Vec<(Key, A)> = binding
                .keys
                .iter()
                .filter(|(k, _)| !seen.iter().any(|s| s.covers(k)))
                .cloned()
                .collect();
            seen.extend(binding.keys.iter().map(|(k, _)| *k));
            if !keys.is_empty() {
                out.push(Binding {
                    keys,
                    ..binding.clone()
                });
            }
        }
        out
    }

    /// The footer's hints, in binding order.
    pub fn footer(&self) -> Vec<KeyHint> {
        self.effective()
            .iter()
            .filter(|b| b.footer)
            .map(|b| {
                let keys = primary_label(b.keys.iter().map(|(k, _)| *k));
                (Cow::Owned(keys), b.label.clone())
            })
            .collect()
    }

    /// The help popup's lines: every binding, then the notes.
    pub fn help_lines(&self) -> Vec<HelpLine> {
        let mut lines: Vec<HelpLine> = self
            .effective()
            .iter()
            .map(|b| HelpLine {
                keys: keys_label(b.keys.iter().map(|(k, _)| *k)),
                text: b.help.clone().unwrap_or_else(|| b.label.clone()),
            })
            .collect();
        lines.extend(self.notes.iter().map(|n| HelpLine {
            keys: String::new(),
            text: n.clone(),
        }));
        lines
    }
}

/// Tab and Shift-Tab to the next and previous field of a form.
pub fn tab_fields<A: Clone>(next: A, previous: A) -> Keymap<A> {
    Keymap::new()
        .bind_each(
            [
                (Key::plain(KeyCode::Tab), next),
                (Key::plain(KeyCode::BackTab), previous),
            ],
            "field",
        )
        .help("next / previous field")
}

/// Up and Down between the rows of a form, and `k`/`j` too when `letters` (no text field
/// would take them); quiet in the footer, as every form has them.
pub fn up_down<A: Clone>(
    up: A,
    down: A,
    label: &'static str,
    help: &'static str,
    letters: bool,
) -> Keymap<A> {
    Keymap::new()
        .bind_each(
            [
                (Key::plain(KeyCode::Up), up.clone()),
                (Key::plain(KeyCode::Down), down.clone()),
            ],
            label,
        )
        .help(help)
        .quiet()
        .when(letters, |k| {
            k.bind_each([(Key::char('k'), up), (Key::char('j'), down)], label)
                .help(help)
                .quiet()
        })
}

/// Keys every line editor takes while a text is being edited; `edit` is the action that hands
/// them to the editor.
pub fn line_editing<A: Clone>(edit: A) -> Keymap<A> {
    use KeyCode::*;
    Keymap::new()
        .bind(
            [
                Key::plain(Left),
                Key::plain(Right),
                Key::plain(Home),
                Key::plain(End),
                Key::ctrl('a'),
                Key::ctrl('e'),
            ],
            edit.clone(),
            "cursor",
        )
        .help("move the cursor; ^A / ^E to the start / end")
        .quiet()
        .bind(
            [
                Key::ctrl_code(Left),
                Key::ctrl_code(Right),
                Key::alt(Left),
                Key::alt(Right),
                Key::alt(Char('b')),
                Key::alt(Char('f')),
            ],
            edit.clone(),
            "word",
        )
        .help("move by word")
        .bind(
            [
                Key::plain(Backspace),
                Key::plain(Delete),
                Key::ctrl('w'),
                Key::alt(Backspace),
                Key::ctrl_code(Backspace),
                Key::alt(Char('d')),
            ],
            edit.clone(),
            "delete",
        )
        .help("delete a character; ^W / Alt-Backspace the word before, Alt-d the word after")
        .quiet()
        .bind(
            [Key::ctrl('u'), Key::ctrl('k'), Key::ctrl('y')],
            edit.clone(),
            "clear",
        )
        .help("clear the line / to its end; ^Y puts back what was cut")
        .bind([Key::TEXT], edit, "type")
        .help("type text (q and ? too)")
        .quiet()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Act {
        Up,
        Down,
        Choose,
        Filter,
    }

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn map() -> Keymap<Act> {
        Keymap::new()
            .bind_each(
                [
                    (Key::plain(KeyCode::Up), Act::Up),
                    (Key::plain(KeyCode::Down), Act::Down),
                ],
                "move",
            )
            .bind([Key::plain(KeyCode::Enter)], Act::Choose, "choose")
            .help("use the selected row")
            .bind([Key::Text { except: "?" }], Act::Filter, "filter")
            .quiet()
            .note("Rows marked ✗ cannot be used.")
    }

    #[test]
    fn one_map_dispatches_and_describes() {
        let map = map();
        assert_eq!(map.action(&press(KeyCode::Down)), Some(Act::Down));
        assert_eq!(map.action(&press(KeyCode::Char('q'))), Some(Act::Filter));
        assert_eq!(map.action(&press(KeyCode::Char('?'))), None);
        let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert_eq!(map.action(&ctrl_r), None, "Ctrl is not text");
        let shifted = KeyEvent::new(KeyCode::Char('Q'), KeyModifiers::SHIFT);
        assert_eq!(map.action(&shifted), Some(Act::Filter));
        let footer: Vec<(String, String)> = map
            .footer()
            .into_iter()
            .map(|(k, w)| (k.into_owned(), w.into_owned()))
            .collect();
        assert_eq!(
            footer,
            [
                ("↑↓".to_owned(), "move".to_owned()),
                ("Enter".to_owned(), "choose".to_owned())
            ]
        );
        let help = map.help_lines();
        assert_eq!(help[1].text, "use the selected row");
        assert_eq!(help[2].keys, "type");
        assert_eq!(help[3].keys, "", "notes have no keys");
    }

    #[test]
    fn global_keys_give_way_to_the_screens() {
        let global: Keymap<&str> = Keymap::new()
            .bind([Key::char('q'), Key::ctrl('c')], "quit", "quit")
            .bind([Key::char('?')], "help", "help");
        let left = global.clone().unless_used_by(&map());
        let footer: Vec<String> = left.footer().into_iter().map(|(k, _)| k.into()).collect();
        assert_eq!(
            footer,
            ["^C", "?"],
            "q types into the filter; ? still helps"
        );
        let everything: Keymap<()> = Keymap::new().bind([Key::TEXT], (), "type");
        let left = global.unless_used_by(&everything);
        assert_eq!(left.footer().len(), 1);
    }

    #[test]
    fn a_key_taken_by_an_earlier_binding_is_not_shown_again() {
        let map: Keymap<u8> = Keymap::new()
            .bind([Key::plain(KeyCode::Esc)], 1, "clear filter")
            .bind([Key::plain(KeyCode::Esc), Key::char('q')], 2, "cancel");
        let footer: Vec<String> = map
            .footer()
            .into_iter()
            .map(|(k, w)| format!("{k} {w}"))
            .collect();
        assert_eq!(footer, ["Esc clear filter", "q cancel"]);
        assert_eq!(map.action(&press(KeyCode::Esc)), Some(1));
    }

    #[test]
    fn labels() {
        assert_eq!(Key::ctrl('r').label(), "^R");
        assert_eq!(Key::alt(KeyCode::Char('b')).label(), "Alt-b");
        assert_eq!(Key::ctrl_code(KeyCode::Left).label(), "^←");
        assert_eq!(
            keys_label([Key::ctrl('r'), Key::plain(KeyCode::F(5))]),
            "^R/F5"
        );
        assert_eq!(
            keys_label([Key::plain(KeyCode::Left), Key::plain(KeyCode::Right)]),
            "←→"
        );
        // The footer names the first key (or the arrows); the help names them all.
        let scroll = [
            Key::plain(KeyCode::Up),
            Key::plain(KeyCode::Down),
            Key::char('k'),
        ];
        assert_eq!(primary_label(scroll), "↑↓");
        assert_eq!(
            primary_label([Key::ctrl('r'), Key::plain(KeyCode::F(5))]),
            "^R"
        );
        assert!(
            Key::plain(KeyCode::BackTab)
                .matches(&KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT))
        );
    }
}
