//! One value per agency, for every agency of `Agency::ALL`: what each agency alone could see, how
//! many indicators each held. Written as a JSON object with one member per agency, in the
//! vocabulary's order, so an agency added to the vocabulary is added here too.

use std::borrow::Cow;

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::vocabulary::Agency;

const AGENCIES: usize = Agency::ALL.len();

/// One value per agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerAgency<T>([T; AGENCIES]);

/// One boolean per agency.
pub type AgencyFlags = PerAgency<bool>;

/// One count per agency.
pub type AgencyCounts = PerAgency<usize>;

impl<T: Default + Copy> Default for PerAgency<T> {
    fn default() -> Self {
        PerAgency([T::default(); AGENCIES])
    }
}

impl<T: Copy> PerAgency<T> {
    /// Each agency's value, as `value` gives it.
    pub fn from_fn(value: impl Fn(Agency) -> T) -> Self {
        PerAgency(std::array::from_fn(|i| value(Agency::ALL[i])))
    }

    pub fn get(&self, agency: Agency) -> T {
        self.0[position(agency)]
    }

    pub fn set(&mut self, agency: Agency, value: T) {
        self.0[position(agency)] = value;
    }

    /// Every agency with its value, in the vocabulary's order.
    pub fn iter(&self) -> impl Iterator<Item = (Agency, T)> + '_ {
        Agency::ALL.iter().map(|a| (*a, self.get(*a)))
    }
}

impl PerAgency<bool> {
    pub fn any(&self) -> bool {
        self.0.iter().any(|v| *v)
    }
}

impl PerAgency<usize> {
    pub fn add(&mut self, agency: Agency) {
        self.0[position(agency)] += 1;
    }
}

fn position(agency: Agency) -> usize {
    Agency::ALL
        .iter()
        .position(|a| *a == agency)
        .expect("every agency is in the vocabulary")
}

impl<T: Serialize + Copy> Serialize for PerAgency<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(AGENCIES))?;
        for (agency, value) in self.iter() {
            map.serialize_entry(agency.as_str(), &value)?;
        }
        map.end()
    }
}

impl<'de, T: Deserialize<'de> + Copy + Default> Deserialize<'de> for PerAgency<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let given = std::collections::BTreeMap::<Agency, T>::deserialize(deserializer)?;
        let mut out = PerAgency::default();
        for agency in Agency::ALL {
            let value = given
                .get(agency)
                .ok_or_else(|| D::Error::missing_field(agency.as_str()))?;
            out.set(*agency, *value);
        }
        Ok(out)
    }
}

/// An object with one required member per agency, each of `member`'s schema.
fn schema_of(description: &str, member: impl Fn() -> ObjectBuilder) -> RefOr<Schema> {
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description));
    for agency in Agency::ALL {
        object = object
            .property(agency.as_str(), member())
            .required(agency.as_str());
    }
    object.into()
}

impl PartialSchema for PerAgency<bool> {
    fn schema() -> RefOr<Schema> {
        schema_of("One boolean per agency.", || {
            ObjectBuilder::new().schema_type(Type::Boolean)
        })
    }
}

impl ToSchema for PerAgency<bool> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("AgencyFlags")
    }
}

impl PartialSchema for PerAgency<usize> {
    fn schema() -> RefOr<Schema> {
        schema_of("One count per agency.", || {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
        })
    }
}

impl ToSchema for PerAgency<usize> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("AgencyCounts")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_agency_is_a_member_in_the_vocabularys_order() {
        let mut counts = AgencyCounts::default();
        counts.add(Agency::Health);
        counts.add(Agency::Health);
        let json = serde_json::to_string(&counts).unwrap();
        let expected: Vec<String> = Agency::ALL
            .iter()
            .map(|a| {
                format!(
                    "\"{}\":{}",
                    a.as_str(),
                    if *a == Agency::Health { 2 } else { 0 }
                )
            })
            .collect();
        assert_eq!(json, format!("{{{}}}", expected.join(",")));
        assert_eq!(serde_json::from_str::<AgencyCounts>(&json).unwrap(), counts);
        // An object without some agency is not one of these.
        assert!(serde_json::from_str::<AgencyFlags>("{\"police\": true}").is_err());
    }

    #[test]
    fn flags_say_whether_any_agency_holds() {
        let mut flags = AgencyFlags::default();
        assert!(!flags.any());
        flags.set(Agency::Legal, true);
        assert!(flags.any() && flags.get(Agency::Legal) && !flags.get(Agency::Police));
        assert_eq!(AgencyFlags::from_fn(|a| a == Agency::Legal), flags);
    }
}
