require "vacation";
if address :matches "from" "*@ourdivision.example.com"
{
    vacation :subject "Gone fishing"
             "Having lots of fun! Back in a day or two!";
} else {
    vacation :days 7 :from "hemingway@example.com" "Gone fishing";
}
