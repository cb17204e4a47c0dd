"""What leaders read: statistics by period, the Monday digest's data, the chart, the Excel table and the iCal
calendar.
"""
