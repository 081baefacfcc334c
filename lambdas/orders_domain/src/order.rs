//! The auction results lambda_a returns and the orders inside them.

use serde::{Deserialize, Serialize};

/// Outcome of one order in the auction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Accepted,
    Rejected,
}

/// One order in the auction results. Field order is the wire order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub status: OrderStatus,
    pub power: u32,
}

/// What lambda_a answers: `{"results": false}` while the auction has not
/// published, `{"results": true, "orders": [...]}` once it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuctionResults {
    pub results: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders: Option<Vec<Order>>,
}

impl AuctionResults {
    /// Results not published yet.
    pub fn not_ready() -> Self {
        Self {
            results: false,
            orders: None,
        }
    }

    /// Results published with these orders.
    pub fn ready(orders: Vec<Order>) -> Self {
        Self {
            results: true,
            orders: Some(orders),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_in_the_wire_shape() {
        let ready = AuctionResults::ready(vec![Order {
            status: OrderStatus::Rejected,
            power: 2,
        }]);
        assert_eq!(
            serde_json::to_string(&ready).unwrap(),
            r#"{"results":true,"orders":[{"status":"rejected","power":2}]}"#
        );
        assert_eq!(
            serde_json::to_string(&AuctionResults::not_ready()).unwrap(),
            r#"{"results":false}"#
        );
    }
}
