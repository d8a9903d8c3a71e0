import TributeCore

extension UsageReport: JSONRepresentable {
    /// `GET /v1/workspaces/{id}/usage`'s body.
    var json: JSON {
        .object([
            "workspaceId": .string(workspaceId), "from": .timestamp(millis: fromMillis), "to": .timestamp(millis: toMillis),
            "remainingBalance": .amount(remainingBalance), "remainingAllowance": .amount(remainingAllowance),
            "totalActions": .amount(totalActions), "totalCreditsSpent": .amount(totalCreditsSpent),
            "byActionType": .object(byActionType.mapValues { .object(["count": .int($0.count), "actions": .amount($0.actions), "credits": .amount($0.credits)]) }),
            "daily": .array(daily.map { .object(["date": .string($0.date.description), "actions": .amount($0.actions), "credits": .amount($0.credits)]) }),
            "topUsers": .array(topUsers.map { .object(["userId": .string($0.userId), "actions": .amount($0.actions), "credits": .amount($0.credits)]) }),
        ])
    }

    /// One line per day: `date,actions,credits`, for the API's `text/csv` answer and the
    /// dashboard's export.
    var csv: String {
        var text = "date,actions,credits\n"
        for day in daily { text += "\(day.date),\(day.actions),\(day.credits)\n" }
        return text
    }
}
