//! Something a write creates, named in its audit event by its id.

use uuid::Uuid;

pub trait Identified {
    fn id(&self) -> Uuid;
}
